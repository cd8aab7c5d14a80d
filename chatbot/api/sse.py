"""SSE frames of a streamed ``/v1/chat`` response to chunk dicts, and Writer's error bodies."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from httpx_sse import EventSource

from chatbot.errors import ApiError, StreamError
from chatbot.sanitize import one_line

_trace = logging.getLogger(
    "writer_chat"
)  # the --debug trace (chatbot.debug), by name: one link less to import

if TYPE_CHECKING:
    import httpx


LINE_LIMIT = 4 * 1024 * 1024  # characters of one line of the stream (a reply's piece is tiny)


class NoContent(Exception):
    """The server kept the stream open but sent no reply content for too long."""


class _Watched:
    """The response as EventSource reads it: each network read checks how long the reply has
    gone without content, whatever else (keep-alive comments, a trickle of bytes) arrives."""

    def __init__(self, response: httpx.Response, patience: float | None) -> None:
        self._response = response
        self.headers = response.headers
        self._patience = patience
        self._deadline = float("inf")
        self.moved()

    def moved(self) -> None:
        if self._patience is not None:
            self._deadline = time.monotonic() + self._patience

    def iter_text(self) -> Iterator[str]:
        """The body's text; a line longer than LINE_LIMIT is a StreamError as it arrives (the
        SSE reader would hold it whole: 200 MB without a newline took 800 MB)."""
        line = 0  # characters since the last newline
        for text in self._response.iter_text():
            if time.monotonic() > self._deadline:
                raise NoContent
            newline = text.rfind("\n")
            line = len(text) - newline - 1 if newline >= 0 else line + len(text)
            if line > LINE_LIMIT:
                raise StreamError(
                    f"malformed data from the server: a line of the stream longer than"
                    f" {LINE_LIMIT // (1024 * 1024)} MB"
                )
            yield text


def iter_chunks(
    response: httpx.Response, patience: float | None = None
) -> Iterator[dict[str, Any]]:
    """Yield each chunk of a streamed reply; stop at ``[DONE]`` or at the end of the body.

    ``patience``: the longest wait, in seconds, for the reply's next content (NoContent).
    """

    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        # A server that ignored stream=true: treat its whole completion as a single chunk.
        yield _completion_as_chunk(_parse_json(response.read().decode("utf-8", "replace")))
        return
    if not content_type.startswith("text/event-stream"):
        raise ApiError(
            f"the server answered with {one_line(content_type, 60) or 'no content type'}, not"
            " a stream of replies: is the base URL the Writer API? (see --base-url)"
        )
    done = finished = False
    trace = _trace.isEnabledFor(logging.DEBUG)
    watched = _Watched(response, patience)
    # httpx-sse reads only iter_lines() of the response: _Watched gives it that, with a deadline
    for event in EventSource(watched).iter_sse():  # type: ignore[arg-type]
        if trace:
            _trace.debug("<- event %r %s", event.event, one_line(event.data, 200))
        if done:
            continue  # read to the end of the body so the connection can be reused
        if event.event == "error":
            raise StreamError(f"the server reported an error mid-reply: {_error_text(event.data)}")
        if event.event not in ("message", ""):
            continue  # other named events are not part of the protocol; skip them
        if event.data.startswith("[DONE]"):
            done = True
            if not finished:  # the server said the reply is over, without a finish_reason
                yield {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        elif event.data.strip():
            chunk = _parse_json(event.data)
            if _carries_content(chunk):
                watched.moved()
                finished = finished or _finishes(chunk)
            yield chunk


def _choices(chunk: dict[str, Any]) -> list[dict[str, Any]]:
    choices = chunk.get("choices")
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


def _finishes(chunk: dict[str, Any]) -> bool:
    return any(choice.get("finish_reason") for choice in _choices(chunk))


def _carries_content(chunk: dict[str, Any]) -> bool:
    """Whether a chunk moves the reply on (keep-alive chunks and empty deltas do not)."""
    if chunk.get("usage") or _finishes(chunk):
        return True
    for choice in _choices(chunk):
        delta = choice.get("delta")
        if isinstance(delta, dict) and any(
            delta.get(k) for k in ("content", "refusal", "tool_calls")
        ):
            return True
    return False


def _parse_json(data: str) -> dict[str, Any]:
    try:
        chunk = json.loads(data)
    except (ValueError, RecursionError):  # nested past any sense; a number of 4,300+ digits
        raise StreamError(f"malformed data from the server: {one_line(data, 80)}") from None
    if not isinstance(chunk, dict):
        raise StreamError(f"malformed data from the server: {one_line(data, 80)}")
    return chunk


def _error_text(data: str) -> str:
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        return one_line(data) or "no details"
    return describe_error_body(body) or one_line(data) or "no details"


def describe_error_body(body: Any) -> str:
    """The human text of a Writer error body (``{"tpe":…,"errors":[{"description":…}]}``)."""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list):
        texts = [e.get("description") for e in errors if isinstance(e, dict)]
        joined = "; ".join(t for t in texts if isinstance(t, str) and t)
        if joined:
            return one_line(joined)
    for key in ("message", "detail", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return one_line(value)
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return one_line(value["message"])
    return ""


def _completion_as_chunk(completion: dict[str, Any]) -> dict[str, Any]:
    choices = []
    for choice in completion.get("choices") or []:
        if isinstance(choice, dict):
            delta = choice.get("message") or {}
            choices.append({**choice, "delta": delta})
    return {**completion, "choices": choices}
