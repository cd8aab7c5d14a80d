"""A server that stalls, dribbles, nests without end or floods: bounded time, bounded memory,
one clear line, never a traceback (the real program against the fake over loopback)."""

from __future__ import annotations

import os
import subprocess
import time

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import Script


def test_keep_alives_alone_do_not_hold_a_reply_open_past_the_timeout(run_cli, fake):
    fake.queue(Script(pieces=["the start ", "and"], fault="keepalive", fault_after=2))
    started = time.monotonic()
    result = run_cli("--timeout", "1", "go")
    assert time.monotonic() - started < 8
    assert result.code == 1 and result.text.startswith("the start and")
    assert "no reply from" in result.stderr and "for 1 s" in result.stderr


def test_a_trickle_of_bytes_is_not_content_either(run_cli, fake):
    fake.queue(Script(pieces=["begun"], fault="trickle", fault_after=1))
    started = time.monotonic()
    result = run_cli("--timeout", "1", "go")
    assert time.monotonic() - started < 8
    assert result.code == 1 and "no reply from" in result.stderr


def test_an_event_nested_past_any_sense_is_malformed_data(run_cli, fake):
    nested = b"data: " + b"[" * 100_000 + b"\n\n"
    fake.queue(Script(raw_sse=nested))
    result = run_cli("go")
    assert result.code == 1
    assert "malformed data from the server" in result.stderr
    assert "RecursionError" not in result.stderr and "Traceback" not in result.stderr


def test_a_huge_error_body_is_not_read_whole(fake, home):
    fake.queue(Script(status=400, error="x" * (40 * 1024 * 1024)))
    errors = home / "stderr.txt"
    with errors.open("wb") as err:
        child = subprocess.Popen(
            [WRITER_CHAT, "go"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=cli_env(home, fake.url),
            cwd=home / "work",
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
    stderr = errors.read_text()
    assert os.waitstatus_to_exitcode(status) == 1 and len(stderr.splitlines()) == 1
    assert "request rejected (HTTP 400)" in stderr and len(stderr) < 400
    assert usage.ru_maxrss < 120 * 1024  # KB: a 40 MB body read whole would pass 120 MB


def test_done_without_a_finish_reason_is_a_whole_reply(run_cli, fake):
    fake.queue(Script(pieces=["All ", "here."], finish_reason=None))
    result = run_cli("go")
    assert result.code == 0 and result.text == "All here.\n"
    assert result.stderr == ""


def test_a_page_of_html_is_not_called_a_broken_connection(run_cli, fake):
    fake.queue(Script(raw_sse=b"<html><body>Welcome</body></html>", content_type="text/html"))
    result = run_cli("go")
    assert result.code == 1
    assert "answered with text/html, not a stream of replies" in result.stderr
    assert "broke" not in result.stderr
