"""Which proxy a request goes through: chosen here from the run's environment (the Env), by
httpx's rules, given to httpx, and said for a person when it fails."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chatbot.errors import UsageError

if TYPE_CHECKING:
    import httpx


SCHEMES = ("http", "https", "socks5", "socks5h")  # what httpx takes (SOCKS with the extra)
_CREDENTIALS = re.compile(r"^((?:[A-Za-z][\w+.-]*://)?[^:/@]*:)[^@]*@")


def masked(proxy: str) -> str:
    """A proxy URL with its password as ****, whatever its shape (a scheme or none)."""
    return _CREDENTIALS.sub(r"\1****@", proxy, count=1)


def checked(proxy: str, where: str) -> str:
    """``proxy`` if it is a URL httpx can use as a proxy; else a usage error that names it
    with its password hidden (httpx's own error printed the URL whole)."""
    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise UsageError(
            f"the proxy {masked(proxy)} ({where}) is not a proxy URL: it takes a scheme and a"
            f" host, such as http://host:3128 (schemes: {', '.join(SCHEMES)})"
        )
    return proxy


def proxy_for(
    url: str, configured: str | None, environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The proxy requests to ``url`` go through, its password hidden, and where it was set:
    ``configured`` (--proxy or the config file) first, else httpx's rules for the environment
    (HTTPS_PROXY or HTTP_PROXY by scheme, else ALL_PROXY; NO_PROXY exempts)."""
    proxy, variable = chosen(url, configured, environ)
    return (masked(proxy), variable) if proxy else (None, None)


def chosen(
    url: str, configured: str | None, environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The proxy URL itself (password and all) and where it was set."""
    if configured:
        return configured, "--proxy or the config file"

    def variable(name: str) -> str:
        return environ.get(name) or environ.get(name.lower()) or ""

    parts = urlsplit(url)
    no_proxy = variable("NO_PROXY")
    if no_proxy:
        import urllib.request  # for proxy_bypass_environment; only when NO_PROXY is set

        # undocumented (typeshed leaves it out), but it is the rule httpx and requests follow
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        if bypass(parts.hostname or "", {"no": no_proxy}):
            return None, None
    for name in (f"{parts.scheme.upper()}_PROXY", "ALL_PROXY"):
        if value := variable(name):
            return value, name
    return None, None


def wants_password(refusal: str) -> bool:
    """Whether a proxy's refusal (httpx's ProxyError text) means it wants credentials: an HTTP
    tunnel's 407, or a SOCKS proxy that takes no request without a user name and password
    (httpcore offered it none to choose)."""
    return refusal.startswith("407") or "NO ACCEPTABLE METHODS" in refusal


def asks_for_password(url: str, configured: str | None, environ: Mapping[str, str]) -> str:
    """What to say when the proxy on the way to ``url`` wants a user name and password (an
    HTTP proxy's 407, or a SOCKS proxy that accepts no request without them)."""
    proxy, variable = proxy_for(url, configured, environ)
    scheme = urlsplit(proxy or "").scheme or "http"
    how = "HTTP 407" if scheme in ("http", "https") else "SOCKS"
    return (
        f"the proxy {proxy} ({variable}) asks for a user name and password ({how}): put"
        f" them in its URL ({scheme}://user:password@host:port)"
    )


def http_client(
    url: str, configured: str | None, environ: Mapping[str, str], **options: Any
) -> httpx.Client:
    """An ``httpx.Client`` for requests to ``url`` through ``configured`` (or the environment's
    proxy). A SOCKS proxy without the optional extra is one line saying how to add it, not
    httpx's ImportError."""
    import httpx

    proxy, where = chosen(url, configured, environ)
    if proxy is not None:
        checked(proxy, str(where))
    # trust_env off: the environment is the run's Env, read above, not the process's
    try:
        return httpx.Client(proxy=proxy, trust_env=False, **options)
    except ImportError as missing:
        if "socksio" not in str(missing):
            raise
        proxy, variable = proxy_for(url, configured, environ)
        raise UsageError(
            f"the proxy {proxy} ({variable}) is a SOCKS proxy, which needs writer-chat's optional"
            " [socks] extra: uv tool install 'writer-chat[socks]' (from a clone: '.[socks]')"
        ) from None
