"""Which proxy a request goes through, said for a person (httpx makes the choice itself)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chatbot.errors import UsageError

if TYPE_CHECKING:
    import httpx


def masked(proxy: str) -> str:
    """A proxy URL with its password as ****."""
    password = urlsplit(proxy).password
    return proxy.replace(f":{password}@", ":****@", 1) if password else proxy


def proxy_for(url: str, configured: str | None = None) -> tuple[str | None, str | None]:
    """The proxy requests to ``url`` go through, its password hidden, and where it was set:
    ``configured`` (--proxy or the config file) first, else httpx's rules for the environment
    (HTTPS_PROXY or HTTP_PROXY by scheme, else ALL_PROXY; NO_PROXY exempts)."""
    if configured:
        return masked(configured), "--proxy or the config file"
    import urllib.request  # for proxy_bypass_environment; only on the paths that report

    parts = urlsplit(url)
    if urllib.request.proxy_bypass_environment(parts.hostname or ""):
        return None, None
    for variable in (f"{parts.scheme.upper()}_PROXY", "ALL_PROXY"):
        value = os.environ.get(variable) or os.environ.get(variable.lower())
        if value:
            return masked(value), variable
    return None, None


def wants_password(refusal: str) -> bool:
    """Whether a proxy's refusal (httpx's ProxyError text) means it wants credentials: an HTTP
    tunnel's 407, or a SOCKS proxy that takes no request without a user name and password
    (httpcore offered it none to choose)."""
    return refusal.startswith("407") or "NO ACCEPTABLE METHODS" in refusal


def asks_for_password(url: str, configured: str | None) -> str:
    """What to say when the proxy on the way to ``url`` wants a user name and password (an
    HTTP proxy's 407, or a SOCKS proxy that accepts no request without them)."""
    proxy, variable = proxy_for(url, configured)
    scheme = urlsplit(proxy or "").scheme or "http"
    how = "HTTP 407" if scheme in ("http", "https") else "SOCKS"
    return (
        f"the proxy {proxy} ({variable}) asks for a user name and password ({how}): put"
        f" them in its URL ({scheme}://user:password@host:port)"
    )


def http_client(url: str, configured: str | None, **options: Any) -> httpx.Client:
    """An ``httpx.Client`` for requests to ``url`` through ``configured`` (or the environment's
    proxy). A SOCKS proxy without the optional extra is one line saying how to add it, not
    httpx's ImportError."""
    import httpx

    try:
        return httpx.Client(proxy=configured, **options)
    except ImportError as missing:
        if "socksio" not in str(missing):
            raise
        proxy, variable = proxy_for(url, configured)
        raise UsageError(
            f"the proxy {proxy} ({variable}) is a SOCKS proxy, which needs writer-chat's optional"
            " [socks] extra: uv tool install 'writer-chat[socks]' (from a clone: '.[socks]')"
        ) from None
