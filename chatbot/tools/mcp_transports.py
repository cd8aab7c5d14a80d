"""How the MCP SDK reaches a server: its process over stdio (stderr to its log), or its
streamable-HTTP endpoint (through the client chatbot.api.mcp_http builds: proxy, trust store,
capped answers); and every page of a server's tool list."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from chatbot.tools.mcp_servers import ServerSpec


def transport(
    spec: ServerSpec,
    log: TextIO | None,
    http_client: Callable[[str, dict[str, str]], Any] | None,
) -> contextlib.AbstractAsyncContextManager[Any]:
    """The SDK's streams to the server: its process over stdio (stderr to ``log``), or its
    streamable-HTTP endpoint (the SDK's client, with the config's headers)."""
    if spec.url:
        from mcp.client.streamable_http import streamable_http_client

        if http_client is None:  # the SDK's own client, as it comes (tests of the hub alone)
            import httpx2

            client = httpx2.AsyncClient(headers=dict(spec.headers) or None)
        else:
            client = http_client(spec.url, dict(spec.headers))
        return _closing_client(client, streamable_http_client(spec.url, http_client=client))
    from mcp.client.stdio import StdioServerParameters, stdio_client

    parameters = StdioServerParameters(
        command=spec.command, args=list(spec.args), env=dict(spec.env) or None
    )
    assert log is not None  # a stdio server always has its log
    return stdio_client(parameters, errlog=log)


@contextlib.asynccontextmanager
async def _closing_client(client: Any, streams: Any) -> Any:
    """The HTTP streams, and the client they use closed after them."""
    async with client, streams as pair:
        yield pair


async def all_tools(session: Any) -> list[Any]:
    """Every page of the server's tool list (at most 20 pages)."""
    from mcp import types

    listed = await session.list_tools()
    tools = list(listed.tools)
    for _ in range(20):
        if not listed.next_cursor:
            break
        listed = await session.list_tools(
            params=types.PaginatedRequestParams(cursor=listed.next_cursor)
        )
        tools += listed.tools
    return tools
