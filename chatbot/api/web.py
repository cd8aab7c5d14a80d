"""A web page for ``/file URL``: fetched with the chat's TLS and proxy settings, text only,
read up to a cap and within a deadline for the whole page (a server that trickles a byte a
second never ends it), decoded with its charset when that is a text encoding."""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from chatbot.api import tls
from chatbot.api.proxy import http_client
from chatbot.errors import UsageError
from chatbot.sanitize import one_line

TEXT_TYPES = ("application/json", "application/xml")  # beside every text/*
PAGE_SECONDS = 30.0  # the whole page, from the request to its last byte


def fetch_text(
    url: str,
    *,
    proxy: str | None,
    environ: Mapping[str, str],
    timeout: float,
    limit: int,
    seconds: float = PAGE_SECONDS,
) -> tuple[str, str, int]:
    """The page's text (its first ``limit`` bytes, decoded), its content type and how many bytes
    were read; anything but text, an HTTP error, a failed connection or a page that takes more
    than ``seconds`` is one line."""
    deadline = time.monotonic() + seconds
    try:
        with (
            http_client(
                url,
                proxy,
                environ,
                timeout=timeout,
                follow_redirects=True,
                verify=tls.verify(environ),
                headers={"User-Agent": "writer-chat"},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise UsageError(f"{url}: HTTP {response.status_code}")
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            if not (kind.startswith("text/") or kind in TEXT_TYPES):
                raise UsageError(f"{url}: not text ({kind or 'no content type'})")
            pieces, size = [], 0
            for piece in response.iter_bytes():
                if time.monotonic() > deadline:
                    raise UsageError(f"{url}: the page took over {seconds:g} s; not attached")
                pieces.append(piece)
                size += len(piece)
                if size >= limit:
                    break
            data = b"".join(pieces)[:limit]
            return data.decode(_text_encoding(response.encoding), "replace"), kind, size
    except (httpx.HTTPError, httpx.InvalidURL) as problem:
        raise UsageError(
            f"{url}: {one_line(str(problem), 120) or type(problem).__name__}"
        ) from None


def _text_encoding(name: str | None) -> str:
    """The page's charset when it names a text encoding, else UTF-8 (``rot13`` and ``base64``
    are codecs too, but not of bytes to text: decoding with them raised LookupError)."""
    try:
        b"a".decode(name or "utf-8", "replace")  # (b"" would decode without a lookup)
    except LookupError:
        return "utf-8"
    return name or "utf-8"
