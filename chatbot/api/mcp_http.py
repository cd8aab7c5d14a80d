"""The HTTP client an MCP server over streamable HTTP is spoken to with (the SDK's httpx2),
built like the chat's own: the run's proxy (``--proxy``, else the Env's variables), the same
trust store, deadlines, and answers capped while they arrive.

A JSON answer larger than ``ANSWER_LIMIT`` and an event of an SSE stream larger than
``EVENT_LIMIT`` end the request with one line instead of filling memory (the chat's results are
cut at 50,000 characters anyway).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from chatbot.api import tls
from chatbot.api.proxy import checked, chosen

ANSWER_LIMIT = 16 * 1024 * 1024  # bytes of one JSON answer
EVENT_LIMIT = 4 * 1024 * 1024  # bytes of one event of a response stream


def mcp_client(
    url: str, configured_proxy: str | None, headers: Mapping[str, str], environ: Mapping[str, str]
) -> Any:
    """An ``httpx2.AsyncClient`` for the MCP endpoint at ``url``."""
    import httpx2

    proxy, where = chosen(url, configured_proxy, environ)
    if proxy is not None:
        checked(proxy, str(where))
    inner = httpx2.AsyncHTTPTransport(verify=tls.verify(environ), proxy=proxy, trust_env=False)
    # the SDK's own advice: 30 s to connect and write; a response stream may stay open
    return httpx2.AsyncClient(
        headers=dict(headers) or None,
        timeout=httpx2.Timeout(30.0, read=300.0),
        transport=_CappedTransport(inner),
        trust_env=False,
        follow_redirects=False,
    )


def _capped_transport_class() -> type:
    import httpx2

    class CappedStream(httpx2.AsyncByteStream):
        def __init__(self, inner: Any, events: bool) -> None:
            self._inner = inner
            self._events = events

        async def __aiter__(self) -> AsyncIterator[bytes]:
            limit = EVENT_LIMIT if self._events else ANSWER_LIMIT
            since = 0  # bytes since the start of the answer, or of the event
            last = b""
            async for chunk in self._inner:
                if self._events:
                    joined = last + chunk
                    end = max(joined.rfind(b"\n\n"), joined.rfind(b"\n\r\n"))
                    since = len(joined) - end - 2 if end >= 0 else since + len(chunk)
                    last = chunk[-2:]
                else:
                    since += len(chunk)
                if since > limit:
                    what = "an event of its stream" if self._events else "its answer"
                    raise httpx2.ReadError(f"{what} is larger than {limit // 2**20} MB")
                yield chunk

        async def aclose(self) -> None:
            await self._inner.aclose()

    class CappedTransport(httpx2.AsyncBaseTransport):
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        async def handle_async_request(self, request: Any) -> Any:
            response = await self._inner.handle_async_request(request)
            events = "text/event-stream" in response.headers.get("content-type", "")
            response.stream = CappedStream(response.stream, events)
            return response

        async def aclose(self) -> None:
            await self._inner.aclose()

    return CappedTransport


def _CappedTransport(inner: Any) -> Any:
    return _capped_transport_class()(inner)
