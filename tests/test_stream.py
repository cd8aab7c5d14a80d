"""Stream decoding and accumulation (docs/PROTOCOL.md §3, §6), through real httpx and the
fake server."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from chatbot.api.client import WriterClient
from chatbot.api.retry import RetryPolicy
from chatbot.engine.reply import Delta, ReplyAccumulator
from chatbot.engine.request import ChatParams, build_chat_body
from chatbot.errors import StreamError
from tests.fake_server import TEST_KEY, Script

LOCAL_CAPTURE = Path(__file__).with_name("captures") / "tool-calls-2024-11.sse"


def stream_reply(fake, messages=None):
    client = WriterClient(TEST_KEY, fake.url, timeout=5, retry=RetryPolicy(retries=2), environ={})
    body = build_chat_body(ChatParams("palmyra-x5"), messages or [{"role": "user", "content": "x"}])
    accumulator = ReplyAccumulator()
    deltas: list[Delta] = []
    try:
        with contextlib.closing(client.stream(body)) as chunks:
            for chunk in chunks:
                deltas.extend(accumulator.feed(chunk))
    finally:
        client.close()
    return accumulator.reply, deltas


def test_recorded_writer_stream_assembles_exactly_two_tool_calls(fake):
    fake.queue(Script(raw_sse=LOCAL_CAPTURE.read_bytes()))
    reply, deltas = stream_reply(fake)
    assert reply.finish_reason == "tool_calls"
    assert [(c.index, c.id, c.type, c.name) for c in reply.tool_calls.values()] == [
        (0, "chatcmpl-tool-1ff1df7d81074e5995ec77af2911f7c1", "function", "test_function"),
        (1, "chatcmpl-tool-22538c865437437e8ace8076a5755749", "function", "test_function"),
    ]
    assert all(
        c.arguments.startswith("{") and c.arguments.endswith("}") for c in reply.tool_calls.values()
    )
    assert reply.content == "\n"  # the stray piece between the calls
    assert reply.reply_id == "a2a302fa-a85c-44b4-9c20-0956d557517c"  # the first chunk's id
    assert deltas == [Delta("content", "\n")]


def test_usage_chunk_with_empty_choices_and_done_marker(fake):
    fake.queue(Script(pieces=["Hel", "lo"]))
    reply, deltas = stream_reply(fake)
    assert reply.content == "Hello"
    assert [d.text for d in deltas] == ["Hel", "lo"]
    assert reply.finish_reason == "stop"
    assert reply.usage is not None and reply.usage["completion_tokens"] == 2
    assert reply.model == "palmyra-x5"


def test_accumulator_tolerates_nulls_repeated_roles_and_other_choices():
    accumulator = ReplyAccumulator()
    chunks = [
        {"id": "a", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {"id": "b", "choices": [{"index": 0, "delta": {"role": "assistant", "content": None}}]},
        {"id": "c", "choices": [{"index": 1, "delta": {"content": "other choice"}}]},
        {"id": "d", "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        {
            "id": "e",
            "choices": [{"index": 0, "delta": {"content": "last"}, "finish_reason": "stop"}],
        },
        {"id": "f", "choices": [], "usage": {"total_tokens": 3}},
        {"id": "g"},
    ]
    deltas = [d for chunk in chunks for d in accumulator.feed(chunk)]
    assert deltas == [Delta("content", "last")]
    reply = accumulator.reply
    assert (reply.content, reply.finish_reason, reply.reply_id) == ("last", "stop", "a")
    assert reply.usage == {"total_tokens": 3}


def test_refusal_deltas_are_kept_apart_from_content():
    accumulator = ReplyAccumulator()
    accumulator.feed({"choices": [{"index": 0, "delta": {"content": None, "refusal": "No, "}}]})
    accumulator.feed(
        {
            "choices": [
                {"index": 0, "delta": {"refusal": "sorry."}, "finish_reason": "content_filter"}
            ]
        }
    )
    assert accumulator.reply.refusal == "No, sorry."
    assert accumulator.reply.content == ""


def test_a_server_ignoring_stream_true_still_works(fake):
    client = WriterClient(TEST_KEY, fake.url, timeout=5, retry=RetryPolicy(retries=2), environ={})
    body = build_chat_body(ChatParams("palmyra-x5"), [{"role": "user", "content": "plain"}])
    body["stream"] = False  # the fake then answers with one JSON completion
    accumulator = ReplyAccumulator()
    with contextlib.closing(client.stream(body)) as chunks:
        for chunk in chunks:
            accumulator.feed(chunk)
    client.close()
    assert accumulator.reply.content == "You said: plain"
    assert accumulator.reply.finish_reason == "stop"


def test_malformed_event_raises_stream_error(fake):
    fake.queue(Script(pieces=["a", "b"], fault="malformed", fault_after=1))
    with pytest.raises(StreamError, match="malformed"):
        stream_reply(fake)


def test_one_connection_serves_several_turns(fake):
    client = WriterClient(TEST_KEY, fake.url, timeout=5, retry=RetryPolicy(retries=2), environ={})
    body = build_chat_body(ChatParams("palmyra-x5"), [{"role": "user", "content": "x"}])
    for _ in range(3):
        with contextlib.closing(client.stream(body)) as chunks:
            list(chunks)
    client.close()
    assert len({r.client_port for r in fake.chat_requests()}) == 1
