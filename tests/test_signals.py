"""Killed mid-reply (SIGTERM, or the terminal closed: SIGHUP): the terminal is given back, the
partial reply is kept on screen and in the history, marked interrupted, as Ctrl-C does."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from chatbot.store.database import Store
from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import Script
from tests.terminal import Terminal

HIDE_CURSOR, SHOW_CURSOR = b"\x1b[?25l", b"\x1b[?25h"


def saved_replies(home) -> list[tuple[str, str]]:
    store = Store(home / "data" / "writer-chat" / "history.db")
    try:
        latest = store.latest()
        assert latest is not None
        return [(m.content, m.status) for m in store.messages(latest) if m.role == "assistant"]
    finally:
        store.close()


@pytest.mark.parametrize(("which", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_mid_reply_in_the_repl(fake, home, which, code):
    fake.queue(Script(pieces=[f"word{i} " for i in range(400)], delay=0.02))
    term = Terminal([WRITER_CHAT], cli_env(home, fake.url), str(home / "work"), pty=True)
    try:
        term.wait_for_prompt(1)
        term.type("tell me a long story\r")
        term.wait_for("word20")
        term.child.kill(which)
        assert term.wait_exit() == code
    finally:
        term.close()
    assert term.raw.rfind(SHOW_CURSOR) > term.raw.rfind(HIDE_CURSOR)  # the cursor is back
    assert "[interrupted]" in term.text()
    [(content, status)] = saved_replies(home)
    assert status == "interrupted" and content.startswith("word0 word1") and "word20" in content


def test_a_signal_at_the_prompt_ends_the_repl_quietly(fake, home):
    term = Terminal([WRITER_CHAT], cli_env(home, fake.url), str(home / "work"), pty=True)
    try:
        term.wait_for_prompt(1)
        term.child.kill(signal.SIGTERM)
        assert term.wait_exit() == 143
    finally:
        term.close()
    assert "Traceback" not in term.text() and "error" not in term.text()


def run_history_show(home, fake) -> str:
    done = subprocess.run(
        [WRITER_CHAT, "history", "show", "latest"],
        capture_output=True,
        env=cli_env(home, fake.url),
        cwd=home / "work",
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


def test_sigterm_mid_reply_in_a_pipe_keeps_the_partial_reply(fake, home):
    fake.queue(Script(pieces=[f"word{i} " for i in range(400)], delay=0.02))
    process = subprocess.Popen(
        [WRITER_CHAT, "go"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(home, fake.url),
        cwd=home / "work",
    )
    deadline = time.monotonic() + 10
    while not fake.chat_requests() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 143
    assert out.startswith(b"word0 word1") and b"Traceback" not in err
    assert b"interrupted" in err
    [(content, status)] = saved_replies(home)
    assert status == "interrupted" and out.decode().startswith(content.rstrip())
    cost = run_history_show(home, fake).rstrip().splitlines()[-1]  # what the cut reply cost
    assert cost.startswith("*~") and " in, ~" in cost and cost.endswith("*"), cost
    assert not cost.startswith("*~0 tokens")
