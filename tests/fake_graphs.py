"""The files and Knowledge Graph endpoints of the fake Writer server (docs/PROTOCOL.md §8).

Kept in memory. Every request is checked against the field lists of §8 (an unknown or missing
field is a 400, as a strict server would answer), lists come in pages (``limit`` 50 by default,
``has_more`` / ``first_id`` / ``last_id``, next page ``after=<last_id>``), an upload is the
file's raw bytes with ``Content-Disposition: attachment; filename=…``, and processing is
asynchronous: a file is ``in_progress`` for a moment, then ``completed``, or ``failed`` when its
bytes contain ``FAIL-PROCESSING`` (a retry then succeeds, unless they contain ``ALWAYS-FAIL``).
An empty upload, or one whose bytes contain ``REFUSE-UPLOAD``, is refused with Writer's error
body. ``upload_delay`` holds each upload's answer back, for tests that watch an upload.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

GRAPH_FIELDS = {"name", "description"}
GRAPH_UPDATE_FIELDS = {"name", "description", "urls"}
GRAPH_LIST_PARAMS = {"limit", "after", "before", "order"}
FILE_LIST_PARAMS = {"graph_id", "status", "file_types", "limit", "after", "before", "order"}
FILE_STATUSES = {"in_progress", "completed", "failed"}
PAGE = 50


@dataclass
class StoredFile:
    id: str
    name: str
    created_at: str
    data: bytes
    content_type: str
    graph_ids: list[str] = field(default_factory=list)
    ready_at: float = 0.0
    attempts: int = 1

    def status(self) -> str:
        if time.monotonic() < self.ready_at:
            return "in_progress"
        if b"ALWAYS-FAIL" in self.data or (b"FAIL-PROCESSING" in self.data and self.attempts < 2):
            return "failed"
        return "completed"

    def public(self, graph_ids: list[str] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "graph_ids": list(self.graph_ids if graph_ids is None else graph_ids),
            "name": self.name,
            "status": self.status(),
        }


@dataclass
class StoredGraph:
    id: str
    name: str
    description: str | None
    created_at: str


class BadRequest(Exception):
    def __init__(self, status: int, kind: str, description: str) -> None:
        super().__init__(description)
        self.status, self.kind, self.description = status, kind, description


class FakeGraphs:
    """The state and the routes; ``processing_seconds`` is how long a file stays in progress."""

    def __init__(self, processing_seconds: float = 0.4) -> None:
        self.processing_seconds = processing_seconds
        self.upload_delay = 0.0
        self.graphs: dict[str, StoredGraph] = {}
        self.files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    # helpers for tests

    def add_graph(self, name: str, description: str | None = None) -> str:
        with self._lock:
            return self._new_graph({"name": name, "description": description})["id"]

    def add_files(self, graph_id: str, count: int, prefix: str = "doc") -> None:
        """Many finished files at once (no upload), e.g. to page through 10,000 of them."""
        with self._lock:
            for number in range(count):
                file = StoredFile(_id(), f"{prefix}-{number:05d}.txt", _now(), b"x", "text/plain")
                file.graph_ids.append(graph_id)
                self.files[file.id] = file

    def graph_files(self, graph_id: str) -> list[StoredFile]:
        with self._lock:
            return [f for f in self.files.values() if graph_id in f.graph_ids]

    # routing

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = [unquote(p) for p in parts.path.strip("/").split("/")][1:]  # after "v1"
        if method == "POST" and path == ["files"] and self.upload_delay:
            time.sleep(self.upload_delay)
        try:
            with self._lock:
                return 200, self._route(method, path, query, headers, raw)
        except BadRequest as problem:
            return problem.status, {
                "tpe": problem.kind,
                "errors": [{"description": problem.description, "key": problem.kind}],
                "extras": {},
            }

    def _route(
        self, method: str, path: list[str], query: dict[str, str], headers: dict[str, str],
        raw: bytes,
    ) -> Any:  # fmt: skip
        body = _json_body(raw) if method in ("POST", "PUT") and path[:1] == ["graphs"] else None
        match method, path:
            case "GET", ["graphs"]:
                _only(query, GRAPH_LIST_PARAMS, "query parameter")
                graphs = [self._graph(g) for g in self.graphs.values()]
                return _page(graphs, query)
            case "POST", ["graphs"]:
                _fields(body, GRAPH_FIELDS, required={"name"})
                return self._new_graph(body)
            case "POST", ["graphs", "question"]:
                raise BadRequest(400, "BadRequest", "not in this fake")
            case "GET", ["graphs", graph_id]:
                return self._graph(self._find_graph(graph_id))
            case "PUT", ["graphs", graph_id]:
                _fields(body, GRAPH_UPDATE_FIELDS, required=set())
                graph = self._find_graph(graph_id)
                graph.name = body.get("name", graph.name)
                graph.description = body.get("description", graph.description)
                return self._graph(graph)
            case "DELETE", ["graphs", graph_id]:
                graph = self._find_graph(graph_id)
                del self.graphs[graph.id]
                for file in self.files.values():
                    if graph.id in file.graph_ids:
                        file.graph_ids.remove(graph.id)
                return {"id": graph.id, "deleted": True}
            case "POST", ["graphs", graph_id, "file"]:
                _fields(body, {"file_id"}, required={"file_id"})
                graph, file = self._find_graph(graph_id), self._find_file(body["file_id"])
                if graph.id not in file.graph_ids:
                    file.graph_ids.append(graph.id)
                return file.public()
            case "DELETE", ["graphs", graph_id, "file", file_id]:
                graph, file = self._find_graph(graph_id), self._find_file(file_id)
                if graph.id not in file.graph_ids:
                    raise BadRequest(404, "NotFound", "file not in this graph")
                file.graph_ids.remove(graph.id)
                return {"id": file.id, "deleted": True}
            case "GET", ["files"]:
                return self._list_files(query)
            case "POST", ["files"]:
                return self._upload(query, headers, raw)
            case "POST", ["files", "retry"]:
                body = _json_body(raw)
                _fields(body, {"file_ids"}, required={"file_ids"})
                if not isinstance(body["file_ids"], list) or not body["file_ids"]:
                    raise BadRequest(400, "BadRequest", "file_ids must be a non-empty array")
                for file_id in body["file_ids"]:
                    file = self._find_file(file_id)
                    file.attempts += 1
                    file.ready_at = time.monotonic() + self.processing_seconds
                return {"success": True}
            case "GET", ["files", file_id]:
                return self._find_file(file_id).public()
            case "DELETE", ["files", file_id]:
                file = self._find_file(file_id)
                del self.files[file.id]
                return {"id": file.id, "deleted": True}
        raise BadRequest(404, "NotFound", f"no route {method} /v1/{'/'.join(path)}")

    def _new_graph(self, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("name"), str) or not body["name"].strip():
            raise BadRequest(400, "BadRequest", "name must be a non-empty string")
        graph = StoredGraph(_id(), body["name"], body.get("description"), _now())
        self.graphs[graph.id] = graph
        return {
            "id": graph.id,
            "created_at": graph.created_at,
            "name": graph.name,
            "description": graph.description,
        }

    def _graph(self, graph: StoredGraph) -> dict[str, Any]:
        statuses = [f.status() for f in self.files.values() if graph.id in f.graph_ids]
        return {
            "id": graph.id,
            "created_at": graph.created_at,
            "name": graph.name,
            "description": graph.description,
            "type": "manual",
            "file_status": {
                "completed": statuses.count("completed"),
                "failed": statuses.count("failed"),
                "in_progress": statuses.count("in_progress"),
                "total": len(statuses),
            },
            "urls": [],
        }

    def _list_files(self, query: dict[str, str]) -> dict[str, Any]:
        _only(query, FILE_LIST_PARAMS, "query parameter")
        files = list(self.files.values())
        if "graph_id" in query:
            files = [f for f in files if query["graph_id"] in f.graph_ids]
        if "status" in query:
            if query["status"] not in FILE_STATUSES:
                raise BadRequest(400, "BadRequest", f"status must be one of {FILE_STATUSES}")
            files = [f for f in files if f.status() == query["status"]]
        page = _page([{"id": f.id} for f in files], query)  # only the page's files are drawn
        page["data"] = [self.files[item["id"]].public() for item in page["data"]]
        return page

    def _upload(self, query: dict[str, str], headers: dict[str, str], raw: bytes) -> Any:
        _only(query, {"graphId"}, "query parameter")
        disposition = headers.get("content-disposition", "")
        name = _filename(disposition)
        if not disposition.startswith("attachment") or not name:
            raise BadRequest(400, "BadRequest", "Content-Disposition: attachment; filename=…")
        if not raw:
            raise BadRequest(400, "BadRequest", f"File {name} is empty")
        if b"REFUSE-UPLOAD" in raw:
            raise BadRequest(400, "BadRequest", f"Unsupported file content in {name}")
        file = StoredFile(_id(), name, _now(), raw, headers.get("content-type", ""))
        file.ready_at = time.monotonic() + self.processing_seconds
        if "graphId" in query:
            file.graph_ids.append(self._find_graph(query["graphId"]).id)
        self.files[file.id] = file
        return file.public(graph_ids=[])  # as §8 says: empty in the upload's answer

    def _find_graph(self, graph_id: str) -> StoredGraph:
        if graph_id not in self.graphs:
            raise BadRequest(404, "NotFound", f"Graph {graph_id} not found")
        return self.graphs[graph_id]

    def _find_file(self, file_id: Any) -> StoredFile:
        if not isinstance(file_id, str) or file_id not in self.files:
            raise BadRequest(404, "NotFound", f"File {file_id} not found")
        return self.files[file_id]


def _id() -> str:
    return str(uuid.uuid4())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise BadRequest(400, "BadRequest", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "BadRequest", "the body must be a JSON object")
    return body


def _fields(body: dict[str, Any] | None, allowed: set[str], required: set[str]) -> None:
    assert body is not None
    unknown, missing = set(body) - allowed, required - set(body)
    if unknown or missing:
        said = ", ".join([*(f"unknown field {f}" for f in sorted(unknown)),
                          *(f"missing field {f}" for f in sorted(missing))])  # fmt: skip
        raise BadRequest(400, "BadRequest", said)


def _only(query: dict[str, str], allowed: set[str], what: str) -> None:
    unknown = set(query) - allowed
    if unknown:
        raise BadRequest(400, "BadRequest", f"unknown {what} {', '.join(sorted(unknown))}")


def _page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    try:
        limit = int(query.get("limit", PAGE))
    except ValueError:
        raise BadRequest(400, "BadRequest", "limit must be a number") from None
    if not 1 <= limit <= 100:
        raise BadRequest(400, "BadRequest", "limit must be 1-100")
    if query.get("order", "desc") == "desc":
        items = items[::-1]
    start = 0
    if "after" in query:
        start = next((n for n, item in enumerate(items) if item["id"] == query["after"]), -1) + 1
        if not start:
            raise BadRequest(400, "BadRequest", "after: no such id")
    data = items[start : start + limit]
    return {
        "data": data,
        "has_more": start + limit < len(items),
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


_FILENAME_STAR = re.compile(r"filename\*=UTF-8''([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename="?([^";]+)"?', re.IGNORECASE)


def _filename(disposition: str) -> str:
    if match := _FILENAME_STAR.search(disposition):
        return unquote(match.group(1))
    match = _FILENAME.search(disposition)
    return match.group(1) if match else ""
