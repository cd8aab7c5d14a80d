"""Writer's Knowledge Graphs and files (``/v1/graphs``, ``/v1/files``), as plain dicts.

Every list is read whole, page after page (``has_more`` / ``after``). An upload streams the
file's bytes from disk, telling ``sent`` how many went, so a progress bar can follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chatbot.api.client import WriterClient

Json = dict[str, Any]
UPLOAD_PIECE = 256 * 1024


class KnowledgeGraphs:
    def __init__(self, client: WriterClient) -> None:
        self._client = client

    def _all(self, path: str, params: dict[str, Any] | None = None) -> list[Json]:
        items: list[Json] = []
        query = dict(params or {})
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
        self, path: Path, graph_id: str, content_type: str, sent: Callable[[int], None]
    ) -> Json:
        """Upload a file into a graph (``?graphId=``); its processing starts on the server."""
        size = path.stat().st_size
        return self._client.call(
            "POST",
            "/v1/files",
            params={"graphId": graph_id},
            content=_read_in_pieces(path, sent),
            headers={
                "Content-Disposition": content_disposition(path.name),
                "Content-Type": content_type,
                "Content-Length": str(size),
            },
        )

    def detach(self, graph_id: str, file_id: str) -> Json:
        return self._client.call("DELETE", f"/v1/graphs/{quote(graph_id)}/file/{quote(file_id)}")

    def retry(self, file_ids: list[str]) -> Json:
        return self._client.call("POST", "/v1/files/retry", body={"file_ids": file_ids})


def content_disposition(name: str) -> str:
    """``attachment; filename=NAME``, with the RFC 6266 UTF-8 form as well for a name beyond
    ASCII or with a quote or backslash in it."""
    plain = name.encode("ascii", "replace").decode().replace("\\", "_").replace('"', "_")
    header = f'attachment; filename="{plain}"'
    if plain != name:
        header += f"; filename*=UTF-8''{quote(name)}"
    return header


def _read_in_pieces(path: Path, sent: Callable[[int], None]) -> Iterator[bytes]:
    with path.open("rb") as file:
        while piece := file.read(UPLOAD_PIECE):
            yield piece
            sent(len(piece))
