"""Writer's Knowledge Graphs and files (``/v1/graphs``, ``/v1/files``), as plain dicts.

Every list is read whole, page after page (``has_more`` / ``after``). An upload streams the
file's bytes from disk, telling ``sent`` how many went, so a progress bar can follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO
from urllib.parse import quote

from chatbot.api.client import WriterClient
from chatbot.engine.graph_names import is_graph_id, resolve_graph

Json = dict[str, Any]
UPLOAD_PIECE = 256 * 1024
PAGE_LIMIT = 100  # the most a list page may hold (the API's default is 50): half the requests


class KnowledgeGraphs:
    def __init__(self, client: WriterClient) -> None:
        self._client = client

    def _all(self, path: str, params: dict[str, Any] | None = None) -> list[Json]:
        items: list[Json] = []
        query = {"limit": PAGE_LIMIT, **(params or {})}
        while True:
            page = self._client.call("GET", path, params=query) or {}
            data = page.get("data") if isinstance(page, dict) else None
            items.extend(item for item in data or [] if isinstance(item, dict))
            last = page.get("last_id") if isinstance(page, dict) else None
            if not (isinstance(page, dict) and page.get("has_more") and data and last):
                return items
            query["after"] = last

    def graphs(self) -> list[Json]:
        return self._all("/v1/graphs", {"order": "asc"})

    def find(self, ref: str) -> Json:
        """The graph ``ref`` names (a name, an id or a unique id prefix); UsageError listing
        the candidates when it is unknown or ambiguous."""
        if is_graph_id(ref):
            for graph in self.graphs():
                if graph.get("id") == ref:
                    return graph
        return resolve_graph(self.graphs(), ref)

    def ids(self, refs: list[str]) -> list[str]:
        """The ids of the graphs ``refs`` name; whole ids are taken as they are, unasked."""
        if all(is_graph_id(ref) for ref in refs):
            return refs
        graphs = self.graphs()
        return [ref if is_graph_id(ref) else resolve_graph(graphs, ref)["id"] for ref in refs]

    def graph(self, graph_id: str) -> Json:
        return self._client.call("GET", f"/v1/graphs/{quote(graph_id)}")

    def create(self, name: str, description: str | None) -> Json:
        body: Json = {"name": name}
        if description is not None:
            body["description"] = description
        return self._client.call("POST", "/v1/graphs", body=body)

    def update(self, graph_id: str, **fields: Any) -> Json:
        return self._client.call("PUT", f"/v1/graphs/{quote(graph_id)}", body=fields)

    def delete(self, graph_id: str) -> Json:
        return self._client.call("DELETE", f"/v1/graphs/{quote(graph_id)}")

    def files(self, graph_id: str, status: str | None = None) -> list[Json]:
        params = {"graph_id": graph_id, "order": "asc"}
        if status:
            params["status"] = status
        return self._all("/v1/files", params)

    def upload(
        self,
        file: BinaryIO,
        name: str,
        size: int,
        graph_id: str,
        content_type: str,
        sent: Callable[[int], None],
    ) -> Json:
        """Upload the open ``file`` of ``size`` bytes into a graph (``?graphId=``) as ``name``;
        its processing starts on the server. The caller opened it (through the door)."""
        return self._client.call(
            "POST",
            "/v1/files",
            params={"graphId": graph_id},
            content=_read_in_pieces(file, sent),
            headers={
                "Content-Disposition": content_disposition(name),
                "Content-Type": content_type,
                "Content-Length": str(size),
            },
        )

    def detach(self, graph_id: str, file_id: str) -> Json:
        return self._client.call("DELETE", f"/v1/graphs/{quote(graph_id)}/file/{quote(file_id)}")

    def retry(self, file_ids: list[str]) -> Json:
        return self._client.call("POST", "/v1/files/retry", body={"file_ids": file_ids})


def with_graph_ids(
    tools: tuple[Json, ...], connect: Callable[[], WriterClient]
) -> tuple[Json, ...]:
    """``tools`` with the graph tool's names replaced by ids; ``connect`` gives a client (and
    is called only if a name or an id prefix was given: whole ids need no request)."""
    found = list(tools)
    for index, tool in enumerate(found):
        refs = tool.get("function", {}).get("graph_ids") if tool.get("type") == "graph" else None
        if not refs or all(is_graph_id(ref) for ref in refs):
            continue
        client = connect()
        try:
            ids = KnowledgeGraphs(client).ids(list(refs))
        finally:
            client.close()
        found[index] = {**tool, "function": {**tool["function"], "graph_ids": ids}}
    return tuple(found)


def graph_by_name(client: WriterClient, ref: str) -> tuple[str, str]:
    """/graph NAME: the id and name of the graph ``ref`` names."""
    graph = KnowledgeGraphs(client).find(ref)
    return str(graph["id"]), str(graph.get("name") or "")


def content_disposition(name: str) -> str:
    """``attachment; filename=NAME``, with the RFC 6266 UTF-8 form as well for a name beyond
    ASCII or with a quote or backslash in it."""
    plain = name.encode("ascii", "replace").decode().replace("\\", "_").replace('"', "_")
    plain = "".join(c if c.isprintable() else "_" for c in plain)  # a header holds no controls
    header = f'attachment; filename="{plain}"'
    if plain != name:
        header += f"; filename*=UTF-8''{quote(name, errors='surrogateescape')}"
    return header


def _read_in_pieces(file: BinaryIO, sent: Callable[[int], None]) -> Iterator[bytes]:
    while piece := file.read(UPLOAD_PIECE):
        yield piece
        sent(len(piece))
