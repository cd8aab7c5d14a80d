"""Retries and broken streams, one fault mode of the fake server each (the real process)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from chatbot.api.retry import RetryPolicy, is_retryable_status, retry_after
from tests.fake_server import Script


def retry_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "retrying in" in line]


def test_429_with_retry_after_then_success_resends_the_same_messages(run_cli, fake):
    fake.queue(Script(status=429, error="slow down", headers={"Retry-After": "1"}))
    result = run_cli("-s", "sys", "hello")
    assert result.code == 0, result.stderr
    assert result.text == "You said: hello\n"
    assert retry_lines(result.stderr) == ["writer-chat: rate limited, retrying in 1 s (1/2)"]
    first, second = fake.chat_requests()
    assert first.body == second.body


def test_retry_after_ms_is_preferred(run_cli, fake):
    fake.queue(Script(status=429, headers={"retry-after-ms": "150", "Retry-After": "9"}))
    result = run_cli("hello")
    assert result.code == 0
    assert retry_lines(result.stderr) == ["writer-chat: rate limited, retrying in 0.1 s (1/2)"]


def test_503_once_then_success(run_cli, fake):
    fake.queue(Script(status=503, error="overloaded"))
    result = run_cli("hello")
    assert result.code == 0
    assert result.text == "You said: hello\n"
    (line,) = retry_lines(result.stderr)
    assert line.startswith("writer-chat: server answered HTTP 503, retrying in ")
    assert len(fake.chat_requests()) == 2


def test_persistent_500_is_bounded_and_ends_with_one_clear_line(run_cli, fake):
    fake.queue(*[Script(status=500, error="boom")] * 5)
    result = run_cli("hello")
    assert result.code == 1
    assert len(fake.chat_requests()) == 3  # the first try and --retries 2
    lines = result.stderr.splitlines()
    assert len(retry_lines(result.stderr)) == 2
    assert lines[-1] == "writer-chat: error: Writer API server error (HTTP 500): boom"
    assert "Traceback" not in result.stderr


def test_x_should_retry_false_is_honoured(run_cli, fake):
    fake.queue(Script(status=503, error="down", headers={"x-should-retry": "false"}))
    result = run_cli("hello")
    assert result.code == 1
    assert len(fake.chat_requests()) == 1


def test_client_errors_are_not_retried(run_cli, fake):
    fake.queue(Script(status=400, error="bad request"))
    assert run_cli("hello").code == 1
    assert len(fake.chat_requests()) == 1


def test_nothing_is_retried_once_the_reply_has_started(run_cli, fake):
    fake.queue(Script(pieces=["shown ", "then"], fault="reset", fault_after=1))
    result = run_cli("hello")
    assert result.code == 1
    assert result.text == "shown \n"
    assert len(fake.chat_requests()) == 1
    assert retry_lines(result.stderr) == []


def test_slow_headers_are_a_timeout(run_cli, fake):
    fake.queue(Script(first_byte_delay=10))
    result = run_cli("--timeout", "1", "hello", timeout=20)
    assert result.code == 1
    assert result.stderr.strip().endswith(
        "timed out after 1 s waiting for " + fake.url + " (see --timeout)"
    )
    assert len(fake.chat_requests()) == 1  # a read timeout is not retried: it may be working


def test_hang_after_chunks_with_timeout_2(run_cli, fake):
    fake.queue(Script(pieces=["one ", "two ", "three"], fault="hang", fault_after=2))
    result = run_cli("--timeout", "2", "hello", timeout=30)
    assert result.code == 1
    assert result.text == "one two \n"
    assert "timed out after 2 s" in result.stderr


def test_connection_refused_is_retried_then_reported(run_cli):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("--retries", "1", "hi", WRITER_BASE_URL=f"http://127.0.0.1:{port}")
    assert result.code == 1
    assert len(retry_lines(result.stderr)) == 1
    assert "cannot connect" in retry_lines(result.stderr)[0]
    assert result.stderr.splitlines()[-1].startswith(
        f"writer-chat: error: cannot connect to http://127.0.0.1:{port}"
    )


@pytest.fixture
def unreachable() -> Iterator[str]:
    """A loopback address whose listen queue is full: connecting hangs like an unreachable host,
    with no DNS and no traffic leaving the machine."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = []
    for _ in range(4):  # fill the accept queue; later SYNs are dropped
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(server.getsockname())
        fillers.append(filler)
    host, port = server.getsockname()
    yield f"http://{host}:{port}"
    for sock in [*fillers, server]:
        sock.close()


def test_unreachable_host_times_out_connecting(run_cli, unreachable):
    result = run_cli("--timeout", "0.5", "--retries", "0", "hi", WRITER_BASE_URL=unreachable)
    assert result.code == 1
    assert "timed out after 0.5 s connecting to" in result.stderr


def test_retry_policy_bounds():
    import random

    policy = RetryPolicy(retries=2, base_delay=1, max_delay=20, max_total_wait=30)
    rng = random.Random(1)
    first, second = policy.delay(1, None, rng), policy.delay(2, None, rng)
    assert 0.75 <= first <= 1 and 1.5 <= second <= 2
    assert policy.delay(1, 120, rng) == 20  # a server's wait is capped
    assert policy.allows(2, 10, 5) and not policy.allows(3, 0, 1)
    assert not policy.allows(1, 25, 10)  # the total wait stays bounded


def test_retry_after_forms():
    assert retry_after({"retry-after": "3"}) == 3
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470) == 10
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None
    assert is_retryable_status(429, {}) and is_retryable_status(502, {})
    assert not is_retryable_status(404, {}) and is_retryable_status(404, {"x-should-retry": "true"})
