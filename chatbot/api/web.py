"""A web page for ``/file URL``: fetched with the chat's TLS and proxy settings, text only,
read up to a cap."""

from __future__ import annotations

import httpx

from chatbot.api import tls
from chatbot.api.proxy import http_client
from chatbot.errors import UsageError
from chatbot.sanitize import one_line

TEXT_TYPES = ("application/json", "application/xml")  # beside every text/*


def fetch_text(url: str, *, proxy: str | None, timeout: float, limit: int) -> tuple[str, str, int]:
    """The page's text (its first ``limit`` bytes, decoded), its content type and how many bytes
    were read; anything but text, an HTTP error or a failed connection is one line."""
    try:
        with (
            http_client(
                url,
                proxy,
                timeout=timeout,
                follow_redirects=True,
                verify=tls.verify(),
                headers={"User-Agent": "writer-chat"},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise UsageError(f"{url}: HTTP {response.status_code}")
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            if not (kind.startswith("text/") or kind in TEXT_TYPES):
                raise UsageError(f"{url}: not text ({kind or 'no content type'})")
            data = b""
            for piece in response.iter_bytes():
                data += piece
                if len(data) >= limit:
                    break
            return data[:limit].decode(response.encoding or "utf-8", "replace"), kind, len(data)
    except httpx.HTTPError as problem:
        raise UsageError(
            f"{url}: {one_line(str(problem), 120) or type(problem).__name__}"
        ) from None
