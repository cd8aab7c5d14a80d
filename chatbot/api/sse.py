"""SSE frames of a streamed ``/v1/chat`` response to chunk dicts, and Writer's error bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from chatbot import debug
from chatbot.errors import StreamError
from chatbot.sanitize import one_line

if TYPE_CHECKING:
    import httpx


def iter_chunks(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """Yield each chunk of a streamed reply; stop at ``[DONE]`` or at the end of the body."""
    from httpx_sse import EventSource  # loads with the first reply, not at start

    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        # A server that ignored stream=true: treat its whole completion as a single chunk.
        yield _completion_as_chunk(_parse_json(response.read().decode("utf-8", "replace")))
        return
    done = False
    trace = debug.enabled()
    for event in EventSource(response).iter_sse():
        if trace:
            debug.log.debug("<- event %r %s", event.event, one_line(event.data, 200))
        if done:
            continue  # read to the end of the body so the connection can be reused
        if event.event == "error":
            raise StreamError(f"the server reported an error mid-reply: {_error_text(event.data)}")
        if event.event not in ("message", ""):
            continue  # other named events are not part of the protocol; skip them
        if event.data.startswith("[DONE]"):
            done = True
        elif event.data.strip():
            yield _parse_json(event.data)


def _parse_json(data: str) -> dict[str, Any]:
    try:
        chunk = json.loads(data)
    except json.JSONDecodeError:
        raise StreamError(f"malformed data from the server: {one_line(data, 80)}") from None
    if not isinstance(chunk, dict):
        raise StreamError(f"malformed data from the server: {one_line(data, 80)}")
    return chunk


def _error_text(data: str) -> str:
    try:
        body = json.loads(data)
    except json.JSONDecodeError:
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
