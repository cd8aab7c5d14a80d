"""Which proxy a request goes through, said for a person (httpx makes the choice itself)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit


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
