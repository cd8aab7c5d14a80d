"""A server that stalls, dribbles, nests without end or floods: bounded time, bounded memory,
one clear line, never a traceback (the real program against the fake over loopback)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import cli_env
from tests.fake_server import Script


def test_keep_alives_alone_do_not_hold_a_reply_open_past_the_timeout(run_cli, fake):
    fake.queue(Script(pieces=["the start ", "and"], fault="keepalive", fault_after=2))
    # Without the bound the server keeps the reply open forever: run_cli's timeout would fail it.
    result = run_cli("--timeout", "1", "go", timeout=15)
    assert result.code == 1 and result.text.startswith("the start and")
    assert "no reply from" in result.stderr and "for 1 s" in result.stderr


def test_a_trickle_of_bytes_is_not_content_either(run_cli, fake):
    fake.queue(Script(pieces=["begun"], fault="trickle", fault_after=1))
    result = run_cli("--timeout", "1", "go", timeout=15)
    assert result.code == 1 and "no reply from" in result.stderr


def test_an_event_nested_past_any_sense_is_malformed_data(run_cli, fake):
    nested = b"data: " + b"[" * 100_000 + b"\n\n"
    fake.queue(Script(raw_sse=nested))
    result = run_cli("go")
    assert result.code == 1
    assert "malformed data from the server" in result.stderr
    assert "RecursionError" not in result.stderr and "Traceback" not in result.stderr


PEAK_MEMORY = """
import sys
from chatbot.cli.main import main
sys.argv = ["writer-chat", "go"]
try:
    main()
finally:  # this process's own peak (a fork's rusage would count the parent's pages too)
    peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
    open("peak.txt", "w").write(peak[0].split()[1])
"""


def test_a_huge_error_body_is_not_read_whole(fake, home):
    fake.queue(Script(status=400, error="x" * (40 * 1024 * 1024)))
    done = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY],
        capture_output=True,
        text=True,
        env=cli_env(home, fake.url),
        cwd=home / "work",
        timeout=30,
    )
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "request rejected (HTTP 400)" in done.stderr and len(done.stderr) < 400
    peak_kb = int((home / "work" / "peak.txt").read_text())
    assert peak_kb < 120 * 1024  # a 40 MB body read whole would pass 120 MB


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


def test_headers_sent_a_line_at_a_time_are_held_to_a_deadline(run_cli, fake):
    fake.queue(Script(pieces=["late"], slow_headers=40))  # 10 s of headers, each read in time
    result = run_cli("--timeout", "1", "go", timeout=30)
    assert result.code == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "its headers came too slowly (see --timeout)" in result.stderr
    assert "within 2 s" in result.stderr and "retrying" not in result.stderr


def test_a_slow_but_steady_answer_within_the_deadline_is_taken(run_cli, fake):
    fake.queue(Script(pieces=["on time"], slow_headers=2))  # half a second of headers
    result = run_cli("--timeout", "1", "go")
    assert result.code == 0 and result.text == "on time\n"
