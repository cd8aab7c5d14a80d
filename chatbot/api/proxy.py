"""Which proxy a request goes through, said for a person (httpx makes the choice itself)."""

from __future__ import annotations


def proxy_for(url: str) -> tuple[str | None, str | None]:
    """The proxy requests to ``url`` go through (httpx's rules: HTTPS_PROXY or HTTP_PROXY by
    scheme, else ALL_PROXY; NO_PROXY exempts), its password hidden, and the variable it is in."""
    import os
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if urllib.request.proxy_bypass_environment(parts.hostname or ""):
        return None, None
    for variable in (f"{parts.scheme.upper()}_PROXY", "ALL_PROXY"):
        value = os.environ.get(variable) or os.environ.get(variable.lower())
        if value:
            proxy = urlsplit(value)
            if proxy.password:
                value = value.replace(f":{proxy.password}@", ":****@", 1)
            return value, variable
    return None, None
