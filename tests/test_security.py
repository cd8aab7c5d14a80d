"""Model text is data and the key is a secret (docs/RENDERING-AND-SAFETY.md B4, B5)."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from chatbot.env import Env
from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import FakeWriter, Script
from tests.terminal import Terminal

SECRET = "sk-writerchat-SECRET-0123456789abcdef"
MALICIOUS = [
    "Hello ",
    "\x1b]52;c;SGVsbG8=\x07",  # clipboard write
    "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ ",  # hidden link
    "\x1b]0;pwned\x07",  # window title
    "\x1b[2J\x1b[1A\x1b[2K",  # clear screen, cursor up, erase line
    "\x1b[6n",  # make the terminal type into stdin
    "\x1bP1$r0m\x1b\\ \x1b_apc\x1b\\",  # DCS, APC
    "\x9b2J \x9d0;x\x9c ",  # 8-bit C1 forms
    "ok \x1b",
    "]52;c;SGVs",
    "bG8=\x07 done\n\n",
    "[link=file:///etc/passwd]x[/link] [blink]y[/blink] a [/bold] b :smile:\n\n",
    "[https://good.example](https://evil.example/x) and [js](javascript:alert(1)) "
    "and [f](file:///etc/passwd)\n\n",
    "```\ncode \x1b]52;c;SGVsbG8=\x07 here\n```\n",
]


def dangerous(raw: bytes) -> list[str]:
    """Escape sequences and controls no renderer of ours emits, whoever else's they might be."""
    text = raw.decode("utf-8", errors="replace")
    patterns = ["\x1b]", "\x1bP", "\x1b_", "\x1b[2J", "\x1b[6n", "\x1bc", "\x07", "\x00"]
    found = [p for p in patterns if p in text]
    found += sorted({c for c in text if 0x80 <= ord(c) <= 0x9F or c in "\u202e\u202d"})
    return found


def test_a_malicious_reply_reaches_the_terminal_inert(fake, home):
    fake.queue(Script(pieces=MALICIOUS))
    # prompt_toolkit's own cursor-position request must not be mistaken for the model's
    term = Terminal(
        [WRITER_CHAT], cli_env(home, fake.url), str(home / "work"), answer_reports=False
    )
    try:
        term.wait_for_prompt(1)
        reply_start = len(term.raw)
        term.type("hi\r")
        term.wait_for("done")
        term.wait_for_prompt(2)
        assert dangerous(term.raw[reply_start:]) == []
        text = term.text()
        assert "\u241b]52;c;SGVsbG8=" in text  # shown, visibly, as text
        assert "[link=file:///etc/passwd]x[/link] [blink]y[/blink] a [/bold] b :smile:" in text
        assert "https://evil.example/x" in text  # a link's real target is visible
        assert "[js](javascript:alert(1))" in text and "[f](file:///etc/passwd)" in text
        assert term.child.isalive()
    finally:
        term.close()


def test_pipe_output_drops_control_characters_and_raw_keeps_them(run_cli, fake):
    fake.queue(Script(pieces=MALICIOUS))
    piped = run_cli("hi")
    assert piped.code == 0
    assert dangerous(piped.stdout) == []
    fake.queue(Script(pieces=["a\x1b]52;c;SGVsbG8=\x07b"]))
    raw = run_cli("--raw", "hi")
    assert raw.stdout == b"a\x1b]52;c;SGVsbG8=\x07b\n"


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def assert_secret_nowhere(home: Path, *outputs: str | bytes) -> None:
    for output in outputs:
        text = output.decode(errors="replace") if isinstance(output, bytes) else output
        assert SECRET not in text
    for path in files_under(home):
        assert SECRET.encode() not in path.read_bytes(), path


@pytest.fixture
def secret_server():
    with FakeWriter(api_key=SECRET) as server:
        yield server


@pytest.mark.parametrize(
    ("script", "code"),
    [
        (None, 0),
        (Script(status=403, error="forbidden"), 1),
        (Script(status=500, error="boom"), 1),
        (Script(pieces=["partial"], fault="reset", fault_after=1), 1),
    ],
)
def test_the_key_never_appears_in_output_or_files(run_cli, secret_server, home, script, code):
    if script:
        secret_server.queue(script)
    result = run_cli(
        "--debug", "--retries", "0", "hi", WRITER_API_KEY=SECRET, WRITER_BASE_URL=secret_server.url
    )
    assert result.code == code, result.stderr
    assert "'authorization': 'Bearer ****'," in result.stderr  # traced, key masked, repr whole
    assert_secret_nowhere(home, result.stdout, result.stderr)


def test_a_wrong_key_is_not_echoed(run_cli, fake, home):
    result = run_cli("--debug", "hi", WRITER_API_KEY=SECRET)
    assert result.code == 1 and "HTTP 401" in result.stderr
    assert_secret_nowhere(home, result.stdout, result.stderr)


def test_debug_traces_requests_responses_and_events(run_cli, fake):
    result = run_cli("hi", WRITER_LOG="debug")
    assert result.code == 0
    assert f"-> POST {fake.url}/v1/chat" in result.stderr
    assert "<- HTTP 200 OK" in result.stderr
    assert "<- event 'message'" in result.stderr


def test_a_crash_is_one_line_and_debug_shows_a_redacted_traceback():
    # No real crash is left to provoke from outside (an unusable data directory, the old way,
    # now turns history off and the chat goes on: tests/test_history_faults.py), so the one
    # handler every run goes through is driven directly, with a failure that carries the key.
    from chatbot import debug
    from chatbot.run.modes import run_guarded

    def crash() -> int:
        raise NotADirectoryError(f"[Errno 20] Not a directory: Bearer {SECRET}")

    def env() -> Env:
        return Env(None, io.StringIO(), io.StringIO(), {}, ".")

    debug.remember_secret(SECRET)
    plain = env()
    assert run_guarded(plain, crash) == 1
    assert (
        plain.stderr.getvalue()
        == "writer-chat: unexpected error: NotADirectoryError: [Errno 20] Not a directory:"
        " Bearer ****\n"
    )
    traced = env()
    debug.enable(traced.stderr)
    assert run_guarded(traced, crash) == 1  # and the trace ends with the run
    assert not debug.enabled()
    shown = traced.stderr.getvalue()
    assert "Traceback (most recent call last)" in shown and "raise NotADirectoryError" in shown
    assert SECRET not in plain.stderr.getvalue() + shown


def test_an_unusable_data_directory_is_not_a_crash(run_cli, fake, home):
    blocker = home / "not-a-directory"
    blocker.write_text("")
    result = run_cli("--debug", "hello", XDG_DATA_HOME=str(blocker))
    assert result.code == 0 and result.text == "You said: hello\n"
    assert "history is off for this run" in result.stderr and "Traceback" not in result.stderr


def test_files_written_are_private(run_cli, fake, home):
    term = Terminal([WRITER_CHAT], cli_env(home, fake.url), str(home / "work"))
    try:
        term.wait_for_prompt(1)
        term.type("exit\r")
        assert term.wait_exit() == 0
    finally:
        term.close()
    data = home / "data" / "writer-chat"
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    for path in files_under(data):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_a_world_readable_env_file_gets_a_warning(run_cli, fake, home):
    env_file = home / "work" / ".env"
    env_file.write_text("WRITER_API_KEY=test-key\n")
    env_file.chmod(0o644)
    result = run_cli("hi", WRITER_API_KEY=None)
    assert result.code == 0
    assert "can be read by other users (mode 644)" in result.stderr
    env_file.chmod(0o600)
    assert run_cli("hi", WRITER_API_KEY=None).stderr == ""


def test_plain_http_to_another_host_needs_an_explicit_flag():
    from chatbot.config.settings import check_base_url
    from chatbot.errors import UsageError

    with pytest.raises(UsageError, match="--allow-insecure-http"):
        check_base_url("http://proxy.internal:8080")
    assert check_base_url("http://proxy.internal:8080", allow_insecure_http=True)


def test_oversized_stdin_is_refused_before_anything_is_sent(run_cli, fake):
    result = run_cli("--max-input", "1000", stdin=b"x" * 1001)
    assert result.code == 2
    assert "stdin is larger than 1000 bytes" in result.stderr
    assert fake.chat_requests() == []
    assert run_cli("--max-input", "1000", stdin=b"x" * 1000).code == 0


def test_encoding_names_the_stdin_encoding(run_cli, fake):
    result = run_cli("--encoding", "latin-1", stdin="café".encode("latin-1"))
    assert result.code == 0
    assert fake.chat_requests()[0].messages[-1]["content"] == "café"
    assert run_cli("--encoding", "klingon", stdin=b"x").code == 2


def test_debug_trace_on_a_terminal_prints_above_the_live_reply(fake, home):
    # The trace shares the terminal with the live reply: every trace line must land whole,
    # above the live area, and the reply must still appear once, in order.
    pieces = ["First para", "graph here.\n\n", "Second ", "paragraph.\n\n", "Tail ", "words."]
    fake.queue(Script(pieces=pieces, delay=0.15))
    term = Terminal([WRITER_CHAT, "--debug", "hello"], cli_env(home, fake.url), str(home / "work"))
    try:
        assert term.wait_exit(timeout=20) == 0
    finally:
        term.close()
    lines = term.lines()
    screen = "\n".join(lines)
    traced = [line for line in lines if line.startswith("writer-chat debug: <- event")]
    assert len(traced) >= len(pieces), screen  # none erased by a live redraw
    assert all(line.startswith("writer-chat debug:") for line in lines if "debug:" in line), screen
    reply = ["First paragraph here.", "Second paragraph.", "Tail words."]
    assert [lines.count(line) for line in reply] == [1, 1, 1], screen
    assert [lines.index(line) for line in reply] == sorted(lines.index(line) for line in reply)
    assert "waiting for the reply" not in screen
