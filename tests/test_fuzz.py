"""Hostile or broken streams: only the project's own StreamError ever comes out."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot.api.sse import iter_chunks
from chatbot.engine.reply import ReplyAccumulator
from chatbot.errors import StreamError

SSE_PIECES = st.sampled_from(
    [
        b"data: ",
        b"event: error\n",
        b"event: other\n",
        b": comment\n",
        b"\n",
        b"\r\n",
        b"[DONE]",
        b'{"choices":[{"index":0,"delta":{"content":"x"}}]}',
        b'{"choices":',
        b"id: 1\n",
        b"retry: 5\n",
        b"\xff\xfe",
        b"data:",
        b"\x1b]52;c;x\x07",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "choices",
        "index",
        "delta",
        "content",
        "refusal",
        "tool_calls",
        "function",
        "arguments",
        "name",
        "id",
        "type",
        "finish_reason",
        "usage",
    ]
)
CHUNKISH = st.recursive(
    st.none() | st.integers(-1, 2) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)


def response_of(pieces: list[bytes]) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(pieces))


def consume(pieces: list[bytes]) -> None:
    accumulator = ReplyAccumulator()
    try:
        for chunk in iter_chunks(response_of(pieces)):
            accumulator.feed(chunk)
    except StreamError:
        pass


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(1, 40), max_size=20))
def test_random_bytes_in_random_splits(data, cuts):
    pieces, position = [], 0
    for cut in cuts:
        pieces.append(data[position : position + cut])
        position += cut
    pieces.append(data[position:])
    consume(pieces)


@settings(deadline=None)
@given(st.lists(SSE_PIECES, max_size=30))
def test_sse_shaped_garbage(pieces):
    consume(pieces)


@settings(deadline=None)
@given(st.lists(CHUNKISH, max_size=8))
def test_accumulator_takes_any_json_chunk(chunks):
    accumulator = ReplyAccumulator()
    for chunk in chunks:
        if isinstance(chunk, dict):
            accumulator.feed(chunk)
    reply = accumulator.reply
    assert isinstance(reply.content, str) and isinstance(reply.refusal, str)


@settings(deadline=None)
@given(JSON)
def test_any_json_value_as_event_data(value):
    consume([b"data: " + json.dumps(value).encode() + b"\n\n"])
