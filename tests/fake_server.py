"""A protocol-faithful fake of Writer's ``/v1/chat`` API on a loopback port.

Real HTTP/1.1 (keep-alive, chunked transfer encoding), real SSE framing shaped like the
recorded Writer stream in ``tests/captures`` (a fresh id per chunk, ``role`` on every delta,
all-null ``graph_data`` placeholders, a final ``choices: []`` usage chunk, ``data: [DONE]``),
and Writer's ``tpe``/``errors[]`` error bodies. Tests queue a :class:`Script` per request and
then assert on :attr:`FakeWriter.requests`. With nothing queued it echoes the last user message.

Run it by hand: ``python tests/fake_server.py --port 8765`` then
``WRITER_API_KEY=test-key WRITER_BASE_URL=http://127.0.0.1:8765 writer-chat``.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

try:
    from tests.fake_graphs import FakeGraphs
except ModuleNotFoundError:  # run by hand as python tests/fake_server.py
    from fake_graphs import FakeGraphs  # type: ignore[no-redef]

TEST_KEY = "test-key"
MODELS = {
    "palmyra-x5": "Palmyra X5",
    "palmyra-x4": "Palmyra X4",
    "palmyra-fin": "Palmyra Financial",
    "palmyra-med": "Palmyra Med",
    "palmyra-creative": "Palmyra Creative",
}
ROLES = {"system", "user", "assistant", "tool"}


@dataclass
class Script:
    """What the server does with one request.

    ``pieces`` are the content deltas; ``fault`` breaks the stream after ``fault_after`` pieces:
    "reset" (drop the connection), "hang" (stop sending, keep it open), "keepalive" (only SSE
    comments from then on), "trickle" (one byte at a time, never a whole event), "error_event" (an
    ``event: error`` frame), "malformed" (a data line that is not JSON), "eof" (end the body
    without a finish_reason).
    """

    pieces: list[str] | None = None
    status: int = 200
    error: str = ""
    finish_reason: str = "stop"
    refusal: list[str] | None = None
    delay: float = 0.0
    first_byte_delay: float = 0.0
    fault: str | None = None
    fault_after: int = 0
    send_done: bool = True
    send_usage: bool = True
    usage: dict[str, int] | None = None  # the usage to report (else counted from the request)
    raw_sse: bytes | None = None
    content_type: str = "text/event-stream"  # of a 200 stream ("text/html": a wrong URL's page)
    headers: dict[str, str] = field(default_factory=dict)
    tool_calls: list[tuple[str, str]] | None = None  # (name, arguments JSON), streamed in pieces
    graph_data: dict[str, Any] | None = None  # sent whole in one late delta
    web_search_data: dict[str, Any] | None = None
    slow_headers: int = 0  # header lines sent one every 0.25 s before the rest (a slow loris)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    disconnected: bool = False
    client_port: int = 0
    body_length: int = 0
    first_content_at: float | None = None  # time.monotonic() when the first piece was sent

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", []) if isinstance(self.body, dict) else []


def error_body(kind: str, description: str) -> bytes:
    return json.dumps(
        {"tpe": kind, "errors": [{"description": description, "key": kind}], "extras": {}}
    ).encode()


def _error_kind(status: int) -> str:
    return {
        400: "BadRequest",
        401: "fail.auth",
        403: "Forbidden",
        404: "NotFound",
        422: "Unprocessable",
        429: "RateLimited",
    }.get(status, "InternalError" if status >= 500 else "Error")


class FakeWriter:
    """The server; use as a context manager or call :meth:`start` and :meth:`stop`."""

    def __init__(
        self,
        api_key: str = TEST_KEY,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        *,
        idle_timeout: float | None = None,  # close a kept-alive connection idle this long
    ) -> None:
        self.api_key = api_key
        self.idle_timeout = idle_timeout
        self.scheme = "https" if tls else "http"
        self.requests: list[RecordedRequest] = []
        self.graphs = FakeGraphs()  # /v1/files and /v1/graphs (tests/fake_graphs.py)
        self.web_results: list[dict[str, str]] = [  # what /v1/tools/web-search finds
            {"url": "https://docs.python.org/3/library/tomllib.html", "raw_content": "tomllib"},
            {"url": "https://peps.python.org/pep-0680/", "raw_content": "PEP 680: tomllib"},
        ]
        self.web_search_status = 200  # another: /v1/tools/web-search fails with it
        self._scripts: deque[Script] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        if tls is not None:  # a failed handshake ends in accept() and is dropped quietly there
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def queue(self, *scripts: Script) -> None:
        with self._lock:
            self._scripts.extend(scripts)

    def next_script(self) -> Script | None:
        with self._lock:
            return self._scripts.popleft() if self._scripts else None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == "/v1/chat"]

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while len(self.chat_requests()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.chat_requests()

    def start(self) -> FakeWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; True when it should go on."""
        return not self._stopping.wait(seconds)

    def __enter__(self) -> FakeWriter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def echo_pieces(messages: list[dict[str, Any]]) -> list[str]:
    user = [m for m in messages if m.get("role") == "user"]
    text = user[-1].get("content") if user else ""
    if not isinstance(text, str):
        text = json.dumps(text)
    words = f"You said: {text}".split(" ")
    return [word + " " for word in words[:-1]] + [words[-1]]


def validate(body: Any) -> str:
    """A protocol check of the request body: the reason it is invalid, or ''."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("model"), str):
        return "model is required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty array"
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return "each message needs a valid role"
        if not isinstance(message.get("content"), str | list | None):
            return "content must be a string, an array of parts, or null"
    options = body.get("stream_options")
    if options is not None and "include_usage" not in options:
        return "stream_options.include_usage is required"
    return _validate_tools(body) or _validate_parts(body)


BUILT_IN_TOOLS = {"graph", "llm", "translation", "vision", "web_search"}


def _validate_tools(body: dict[str, Any]) -> str:
    tools = body.get("tools") or []
    built_in = [t.get("type") for t in tools if t.get("type") in BUILT_IN_TOOLS]
    if len(built_in) > 1:
        return "only one built-in tool may be used per request"
    for tool in tools:
        kind, function = tool.get("type"), tool.get("function")
        if not isinstance(function, dict):
            return "each tool needs a function object"
        if kind == "function" and not isinstance(function.get("name"), str):
            return "function tools need a name"
        if kind == "graph" and not (function.get("graph_ids") and "subqueries" in function):
            return "graph tools need graph_ids and subqueries"
        if kind == "graph":
            problem = _validate_query_config(function.get("query_config"))
            if problem:
                return problem
        if kind not in BUILT_IN_TOOLS | {"function"}:
            return f"unknown tool type {kind}"
    waiting: set[str] = set()  # calls of the last assistant message not answered yet
    for message in body["messages"]:
        if message["role"] == "tool":
            if not message.get("tool_call_id"):
                return "tool messages need a tool_call_id"
            waiting.discard(message["tool_call_id"])
            continue
        if waiting:  # PROTOCOL.md §3: one tool message per call, right after the call
            return f"tool_calls {', '.join(sorted(waiting))} have no tool message answering them"
        calls = message.get("tool_calls") or [] if message["role"] == "assistant" else []
        waiting = {call.get("id") for call in calls if isinstance(call, dict)}
    if waiting:
        return f"tool_calls {', '.join(sorted(waiting))} have no tool message answering them"
    if body.get("response_format") and body["model"] not in ("palmyra-x4", "palmyra-x5"):
        return "response_format needs palmyra-x4 or palmyra-x5"
    return ""


# docs/PROTOCOL.md §8: the graph tool's query_config fields and their ranges
QUERY_CONFIG_RANGES = {
    "grounding_level": (0, 1),
    "keyword_threshold": (0, 1),
    "semantic_threshold": (0, 1),
    "max_snippets": (1, 60),
    "max_subquestions": (1, 10),
    "max_tokens": (100, 8000),
    "search_weight": (0, 100),
}


def _validate_query_config(config: Any) -> str:
    if config is None:
        return ""
    if not isinstance(config, dict):
        return "query_config must be an object"
    for key, value in config.items():
        if key == "inline_citations":
            if not isinstance(value, bool):
                return "inline_citations must be a boolean"
        elif key not in QUERY_CONFIG_RANGES:
            return f"unknown query_config field {key}"
        elif not isinstance(value, int | float) or isinstance(value, bool):
            return f"{key} must be a number"
        elif not QUERY_CONFIG_RANGES[key][0] <= value <= QUERY_CONFIG_RANGES[key][1]:
            return f"{key} out of range"
    return ""


def _validate_parts(body: dict[str, Any]) -> str:
    for message in body["messages"]:
        for part in message.get("content") if isinstance(message.get("content"), list) else []:
            if part.get("type") == "image_url" and body["model"] != "palmyra-x5":
                return "images need palmyra-x5"
            if part.get("type") not in ("text", "image_url"):
                return "unknown content part"
    return ""


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client hanging up mid-request is a normal event here, not a failure
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: with Nagle's algorithm on, the second waits
    # for the client's delayed ACK (40 ms on Linux) on every kept-alive request.
    disable_nagle_algorithm = True
    server_version = "fake-writer/1"

    def setup(self) -> None:
        self.timeout = self.fake.idle_timeout  # the socket timeout StreamRequestHandler sets
        super().setup()

    @property
    def fake(self) -> FakeWriter:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _knowledge(self, raw: bytes) -> bool:
        """Serve /v1/files and /v1/graphs (tests/fake_graphs.py); False for other paths."""
        if not self.path.startswith(("/v1/files", "/v1/graphs")):
            return False
        if self._authorised():
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = self.fake.graphs.handle(self.command, self.path, headers, raw)
            self._send_json(status, json.dumps(answer).encode())
        return True

    def _read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_PUT(self) -> None:
        raw = self._read_body()
        self._record(_json_or_none(raw), len(raw))
        if not self._knowledge(raw):
            self._send_json(404, error_body("NotFound", f"no route {self.path}"))

    def do_DELETE(self) -> None:
        self._record(None)
        if not self._knowledge(b""):
            self._send_json(404, error_body("NotFound", f"no route {self.path}"))

    def do_GET(self) -> None:
        self._record(None)
        if self._knowledge(b""):
            return
        if not self._authorised():
            return
        if self.path == "/v1/models":
            models = [{"id": key, "name": name} for key, name in MODELS.items()]
            self._send_json(200, json.dumps({"models": models}).encode())
        else:
            self._send_json(404, error_body("NotFound", f"no route {self.path}"))

    def do_POST(self) -> None:
        raw = self._read_body()
        body = _json_or_none(raw)
        request = self._record(body, len(raw))
        if self._knowledge(raw) or not self._authorised():
            return
        if self.path == "/v1/tools/web-search":
            self._web_search(body)
            return
        if self.path != "/v1/chat":
            self._send_json(404, error_body("NotFound", f"no route {self.path}"))
            return
        problem = validate(body)
        if problem:
            self._send_json(400, error_body("BadRequest", problem))
            return
        if body["model"] not in MODELS:
            self._send_json(404, error_body("NotFound", f"Model {body['model']} not found"))
            return
        script = self.fake.next_script() or Script()
        if script.first_byte_delay and not self.fake.sleep(script.first_byte_delay):
            return
        if script.status >= 400:
            description = script.error or f"status {script.status}"
            body_bytes = error_body(_error_kind(script.status), description)
            self._send_json(script.status, body_bytes, script.headers)
            return
        if body.get("stream"):
            try:
                self._stream(script, body, request)
            except (BrokenPipeError, ConnectionResetError):
                request.disconnected = True
                self.close_connection = True
        else:
            self._send_json(200, json.dumps(self._completion(script, body)).encode())

    def _web_search(self, body: Any) -> None:
        """``POST /v1/tools/web-search`` (web_search_request / web_search_response)."""
        problem = _web_search_problem(body)
        if self.fake.web_search_status != 200:
            status = self.fake.web_search_status
            self._send_json(status, error_body(_error_kind(status), "search is down"))
            return
        if problem:
            self._send_json(400, error_body("BadRequest", problem))
            return
        sources = [
            source
            for source in self.fake.web_results
            if not body.get("include_domains")
            or any(domain in source["url"] for domain in body["include_domains"])
        ]
        if body.get("include_raw_content") in (None, False):
            sources = [{"url": source["url"]} for source in sources]
        answer = {"query": body["query"], "sources": sources}
        if body.get("include_answer", True):
            answer["answer"] = f"Found {len(sources)} sources about {body['query']}."
        self._send_json(200, json.dumps(answer).encode())

    def _record(self, body: Any, length: int = 0) -> RecordedRequest:
        request = RecordedRequest(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
            client_port=self.client_address[1],
            body_length=length,
        )
        self.fake.record(request)
        return request

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.fake.api_key}":
            return True
        self._send_json(401, error_body("fail.auth", "Invalid API key"))
        return False

    def _send_json(
        self, status: int, payload: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _event(self, payload: dict[str, Any] | str) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self._write_chunk(f"data: {data}\n\n".encode())

    def _stream(self, script: Script, body: dict[str, Any], request: RecordedRequest) -> None:
        self.send_response(200)
        for number in range(script.slow_headers):
            self.send_header(f"X-Slow-{number}", "1")
            self.flush_headers()
            if not self.fake.sleep(0.25):
                return
        self.send_header("Content-Type", script.content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in script.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if script.raw_sse is not None:
            self._write_chunk(script.raw_sse)
            self._write_chunk(b"")
            return
        model = body["model"]
        created = int(time.time())
        pieces = script.pieces if script.pieces is not None else echo_pieces(body["messages"])
        more = script.refusal or script.tool_calls or script.graph_data or script.web_search_data
        self._event(_chunk(model, created, {"content": ""}))
        for number, piece in enumerate(pieces):
            if script.fault and number == script.fault_after:
                self._fault(script.fault)
                return
            if script.delay and not self.fake.sleep(script.delay):
                return
            last = number == len(pieces) - 1 and not more
            finish = script.finish_reason if last else None
            self._event(_chunk(model, created, {"content": piece}, finish))
            if request.first_content_at is None:
                request.first_content_at = time.monotonic()
        for number, piece in enumerate(script.refusal or []):
            last = number == len(script.refusal or []) - 1
            delta = {"content": None, "refusal": piece}
            self._event(_chunk(model, created, delta, script.finish_reason if last else None))
        if script.tool_calls:
            self._stream_tool_calls(model, created, script.tool_calls)
        for key in ("graph_data", "web_search_data"):
            data = getattr(script, key)
            if data is not None:
                self._event(_chunk(model, created, {"content": None, key: data}))
        if script.graph_data is not None or script.web_search_data is not None:
            self._event(_chunk(model, created, {"content": None}, script.finish_reason))
        if script.fault and script.fault_after >= len(pieces):
            self._fault(script.fault)
            return
        if not pieces and not script.refusal:
            self._event(_chunk(model, created, {"content": None}, script.finish_reason))
        if script.send_usage and (body.get("stream_options") or {}).get("include_usage"):
            prompt_tokens = sum(len(str(m.get("content", ""))) // 4 + 1 for m in body["messages"])
            prompt_tokens += len(json.dumps(body["tools"])) // 4 if body.get("tools") else 0
            completion_tokens = len(pieces)
            usage = script.usage or {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
            self._event({**_chunk(model, created, {}), "choices": [], "usage": usage})
        if script.send_done:
            self._event("[DONE]")
        self._write_chunk(b"")

    def _stream_tool_calls(self, model: str, created: int, calls: list[tuple[str, str]]) -> None:
        """As in the recorded Writer stream: the first fragment carries id, type and name with
        null arguments; later ones only the index and a piece of the arguments; a stray newline
        of content comes between two calls; the finish shares the last arguments chunk."""
        for index, (name, arguments) in enumerate(calls):
            if index:
                self._event(_chunk(model, created, {"content": "\n"}))
            first = {
                "index": index,
                "id": f"chatcmpl-tool-{uuid.uuid4().hex}",
                "type": "function",
                "function": {"name": name, "arguments": None},
            }
            self._event(_chunk(model, created, {"content": None, "tool_calls": [first]}))
            pieces = [arguments[i : i + 4] for i in range(0, len(arguments), 4)] or [""]
            for number, piece in enumerate(pieces):
                fragment = {
                    "index": index,
                    "id": None,
                    "type": None,
                    "function": {"name": None, "arguments": piece},
                }
                last = index == len(calls) - 1 and number == len(pieces) - 1
                delta = {"content": None, "tool_calls": [fragment]}
                self._event(_chunk(model, created, delta, "tool_calls" if last else None))

    def _fault(self, fault: str) -> None:
        if fault == "reset":
            self.close_connection = True
            self.connection.shutdown(2)  # SHUT_RDWR: the body ends mid-chunk-stream
        elif fault == "hang":
            while self.fake.sleep(0.05):
                pass
        elif fault == "keepalive":  # only SSE comments, forever
            while self.fake.sleep(0.2):
                self._write_chunk(b": keep-alive\n\n")
        elif fault == "trickle":  # one byte at a time of an event that never ends
            while self.fake.sleep(0.2):
                self._write_chunk(b"d")
        elif fault == "error_event":
            self._write_chunk(
                b'event: error\ndata: {"tpe":"InternalError","errors":'
                b'[{"description":"model overloaded"}]}\n\n'
            )
            self._write_chunk(b"")
        elif fault == "malformed":
            self._write_chunk(b"data: {not json\n\n")
            self._write_chunk(b"")
        elif fault == "eof":
            self._write_chunk(b"")

    def _completion(self, script: Script, body: dict[str, Any]) -> dict[str, Any]:
        pieces = script.pieces if script.pieces is not None else echo_pieces(body["messages"])
        return {
            "id": str(uuid.uuid4()),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": script.finish_reason,
                    "message": {"role": "assistant", "content": "".join(pieces), "refusal": None},
                }
            ],
        }


_WEB_SEARCH_KEYS = {
    "query": str, "topic": str, "search_depth": str, "chunks_per_source": int,
    "max_results": int, "time_range": str, "days": int, "include_raw_content": (bool, str),
    "include_answer": bool, "include_domains": list, "exclude_domains": list,
}  # fmt: skip


def _web_search_problem(body: Any) -> str:
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    for key, value in body.items():
        kind = _WEB_SEARCH_KEYS.get(key)
        if kind is None:
            return f"unknown field {key}"
        if not isinstance(value, kind):
            return f"{key} has the wrong type"
    if not isinstance(body.get("query"), str) or not body["query"].strip():
        return "query is required"
    return ""


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _chunk(
    model: str, created: int, delta: dict[str, Any], finish: str | None = None
) -> dict[str, Any]:
    full_delta = {
        "content": None,
        "role": "assistant",
        "tool_calls": None,
        "graph_data": {"sources": None, "status": None, "subqueries": None},
        "refusal": None,
        **delta,
    }
    return {
        "id": str(uuid.uuid4()),
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "finish_reason": finish, "delta": full_delta, "logprobs": None}],
        "created": created,
        "model": model,
        "usage": None,
        "system_fingerprint": "v1",
        "service_tier": None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default=TEST_KEY)
    args = parser.parse_args()
    fake = FakeWriter(api_key=args.key, port=args.port).start()
    print(f"fake Writer API on {fake.url} (key {args.key!r}); Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
