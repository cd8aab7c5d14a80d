"""A good Unix citizen, and a first minute without surprises: the real program, as a person
meets it (pipes closed early, a wrong base URL, pauses, Ctrl-Z, the commands people type)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from chatbot import __version__
from tests.conftest import WRITER_CHAT, cli_env, memory_env
from tests.fake_server import TEST_KEY, Script
from tests.terminal import Terminal

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_command_prints_only_the_program_s_output():
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH here")
    done = subprocess.run(
        [uv, "run", "writer-chat", "--version"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout == f"writer-chat {__version__}\n" and done.stderr == ""


def spawn_with_reader_gone(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run writer-chat with stdout a pipe whose reader has already gone (as `| head` does)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [WRITER_CHAT, *args],
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            timeout=20,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr.decode()


def test_a_closed_pipe_is_a_quiet_end(fake, home):
    env = cli_env(home, fake.url)
    fake.queue(Script(pieces=["many ", "words"]))
    code, stderr = spawn_with_reader_gone(["go"], env, home / "work")
    assert code in (0, -signal.SIGPIPE) and stderr == ""
    code, stderr = spawn_with_reader_gone(["history", "search", "go"], env, home / "work")
    assert code in (0, -signal.SIGPIPE) and stderr == ""


def test_a_missing_route_is_not_an_unknown_model(run_cli, fake):
    result = run_cli("hi", WRITER_BASE_URL=fake.url + "/v1")
    assert result.code == 1 and "unknown model" not in result.stderr
    assert "not found (HTTP 404)" in result.stderr and "without /v1" in result.stderr
    unknown = run_cli("-m", "palmyra-nope", "hi")
    assert "unknown model 'palmyra-nope'" in unknown.stderr
    assert unknown.stderr.rstrip().endswith("Pick another with --model.")


def test_in_the_chat_the_hint_names_slash_model(terminal, fake):
    term = terminal("-m", "palmyra-nope")
    term.say("hi")
    term.wait_for("/models lists them")
    assert "Pick another with" in term.text() and "--model" not in term.text()


class _Clock:
    """httpcore's clock, an hour later at every request: the pauses of a long session."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def monotonic(self) -> float:
        self.now += 3600
        return self.now


def _client(url: str) -> Any:
    from chatbot.api.client import WriterClient
    from chatbot.api.retry import RetryPolicy

    return WriterClient(TEST_KEY, url, 10, retry=RetryPolicy(retries=0), environ={})


def _chat(client: Any, text: str) -> list[Any]:
    body = {"model": "palmyra-x5", "messages": [{"role": "user", "content": text}], "stream": True}
    return list(client.stream(body))


def test_one_connection_serves_a_session_with_long_pauses(fake, monkeypatch):
    # An hour between messages, on an injected clock: far past httpx's default keep-alive
    # expiry (5 s), after which it would open a new connection (and a new TLS handshake).
    from httpcore._sync import http11

    monkeypatch.setattr(http11, "time", _Clock())
    client = _client(fake.url)
    try:
        for number in range(3):
            assert _chat(client, f"message {number}")
    finally:
        client.close()
    assert len(fake.chat_requests()) == 3
    assert len({request.client_port for request in fake.chat_requests()}) == 1


def test_the_clock_does_expire_a_connection_with_httpx_s_default(fake, monkeypatch):
    # The test above can fail: the same clock does end a connection kept with the default.
    import httpx
    from httpcore._sync import http11

    monkeypatch.setattr(http11, "time", _Clock())
    with httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {TEST_KEY}"}) as plain:
        for _ in range(2):
            plain.get("/v1/models").raise_for_status()
    ports = {r.client_port for r in fake.requests if r.path.startswith("/v1/models")}
    assert len(ports) == 2


def test_https_to_a_plain_http_server_fails_at_once(run_cli, fake):
    result = run_cli("hi", WRITER_BASE_URL=fake.url.replace("http://", "https://"))
    assert result.code == 1 and len(result.stderr.splitlines()) == 1
    assert "does not speak TLS" in result.stderr and "http://" in result.stderr
    assert "retrying" not in result.stderr


def chat_under_bash(fake, home) -> Terminal:
    """The REPL started from an interactive bash, with job control around it, as a person has
    it: under a bare pseudo-terminal the process group is orphaned and SIGTSTP is discarded."""
    env = {**cli_env(home, fake.url), "PS1": "shell$ "}
    term = Terminal(["bash", "--norc", "--noprofile", "-i"], env, str(home / "work"))
    term.wait_for("shell$")
    term.type(f"{WRITER_CHAT}\r")
    term.wait_for("/help")
    term.wait_for_prompt(1)  # drawn in raw mode: keys typed before it would be the tty's
    return term


def test_ctrl_z_suspends_and_fg_redraws_the_prompt(fake, home):
    term = chat_under_bash(fake, home)
    try:
        term.type("half typed")
        term.wait_for("half typed")
        term.ctrl("z")
        term.wait_for("Stopped")
        term.type("fg\r")
        before = len(term.raw)
        term.wait_until(lambda: b"half typed" in term.raw[before:], "the prompt redrawn")
        term.type(" and sent\r")
        term.wait_for("You said: half typed and sent")
    finally:
        term.close()
    assert "\x1a" not in fake.chat_requests()[0].messages[-1]["content"]


def test_the_slash_commands_people_type(terminal, fake):
    term = terminal()
    term.say("/mdl")
    term.wait_for("did you mean /model?")
    term.say("first")
    term.type("/clear\r")
    term.wait_for("new conversation")
    term.type("second\r")
    term.wait_for("You said: second")
    assert fake.chat_requests()[-1].messages == [{"role": "user", "content": "second"}]
    term.type("/quit\r")
    assert term.wait_exit() == 0
    other = terminal()
    other.type("/exit\r")
    assert other.wait_exit() == 0


def test_slash_save_names_the_file_and_never_overwrites_it_unasked(terminal, fake, home):
    term = terminal()
    term.say("remember this")
    term.say("/save notes")
    saved = home / "work" / "notes.md"
    assert "remember this" in saved.read_text()
    saved.write_text("my own notes")
    term.say("/save notes")
    term.wait_for("exists already")
    assert saved.read_text() == "my own notes"
    term.say("/save notes --force")
    assert "remember this" in saved.read_text()


def test_a_chat_with_stdout_in_a_file_is_refused(fake, home):
    out = home / "work" / "out.txt"
    term = Terminal(
        ["/bin/sh", "-c", f"exec {WRITER_CHAT} > {out}"],
        cli_env(home, fake.url),
        str(home / "work"),
    )
    try:
        assert term.wait_exit() == 2
    finally:
        term.close()
    assert "stdout is not one" in term.text() and out.read_text() == ""


def test_continuing_says_what_is_continued(run_cli, fake, home):
    assert run_cli("what is a monad?").code == 0
    term = Terminal([WRITER_CHAT, "-c"], cli_env(home, fake.url), str(home / "work"))
    try:
        term.wait_for_prompt(1)
        text = term.text()
    finally:
        term.close()
    assert "“what is a monad?”: 1 exchange, 2 messages" in text
    assert "you: what is a monad?" in text and "reply: You said: what is a monad?" in text


def test_unknown_code_theme_is_a_usage_error(run_cli, fake):
    result = run_cli("--code-theme", "nonexistent", "hi")
    assert result.code == 2 and "unknown code theme 'nonexistent'" in result.stderr
    assert fake.chat_requests() == []


def help_screen(home: Path, columns: int, *args: str) -> str:
    term = Terminal(  # click and typer ask the real terminal its width
        [WRITER_CHAT, *args, "--help"], cli_env(home, None), str(home), cols=columns, pty=True
    )
    try:
        assert term.wait_exit() == 0
    finally:
        term.close()
    return term.text()


def test_every_help_screen_keeps_option_names_whole_and_looks_alike(home):
    from chatbot.config.options import OPTIONS

    narrow = help_screen(home, 60)
    for option in (option for option in OPTIONS if option.flag):
        assert option.flags[0] in narrow, option.flags[0]  # never "--allow-insecur…"
    assert "…" not in narrow
    for args in ((), ("history",), ("config",)):
        assert "╭─ Options" in help_screen(home, 100, *args)  # the same panels everywhere
        assert "╭─" not in help_screen(home, 60, *args)  # and the same plain layout


def test_a_connection_the_server_closed_while_idle_is_replaced_silently(home):
    from tests.fake_server import FakeWriter

    with FakeWriter(idle_timeout=0.3) as fake:
        term = Terminal([WRITER_CHAT], cli_env(home, fake.url), str(home / "work"))
        try:
            term.wait_for_prompt(1)
            term.say("before the pause")
            time.sleep(0.8)  # the server closes the idle connection meanwhile
            term.say("after the pause")
            term.wait_for("You said: after the pause")
        finally:
            term.close()
        assert "retrying" not in term.text() and "error" not in term.text()
        assert len({request.client_port for request in fake.chat_requests()}) == 2


def test_slash_model_refuses_a_model_the_api_does_not_offer():
    from chatbot.engine.chat import Chat
    from chatbot.engine.request import ChatParams
    from chatbot.store.journal import Journal
    from chatbot.terminal.slash_commands import COMMANDS, Session
    from tests.test_engine import ScriptedTransport

    session = Session(
        Chat(ScriptedTransport(), ChatParams("palmyra-x5")), Journal(None), env=memory_env()
    )
    assert not COMMANDS.run("/model anything", session).error  # no list to be had: accepted
    asked: list[bool] = []
    session = Session(
        Chat(ScriptedTransport(), ChatParams("palmyra-x5")), Journal(None), env=memory_env()
    )
    session.list_models = lambda: asked.append(True) or [("palmyra-x5", ""), ("palmyra-x4", "")]
    outcome = COMMANDS.run("/model palmyra-x9", session)
    assert outcome.error and "unknown model palmyra-x9: did you mean palmyra-x5?" in outcome.message
    assert session.chat.params.model == "palmyra-x5"  # unchanged: the typo is said now
    assert not COMMANDS.run("/model palmyra-x4", session).error
    assert session.chat.params.model == "palmyra-x4" and asked == [True]  # listed once


def test_ctrl_z_mid_reply_and_fg_prints_nothing_twice(fake, home):
    lines = [f"Line number {n} of a reply that streams slowly." for n in range(12)]
    pieces = [line + "\n" for line in lines[:6]] + ["\n"] + [line + "\n" for line in lines[6:]]
    fake.queue(Script(pieces=pieces, delay=0.25))
    term = chat_under_bash(fake, home)
    try:
        term.type("go\r")
        term.wait_for(lines[2])
        term.ctrl("z")
        term.wait_for("Stopped")
        term.type("fg\r")
        term.wait_for(lines[-1], timeout=20)
        term.wait_for_prompt(2)
        shown = [line.strip() for line in term.lines() if line.startswith("Line number")]
    finally:
        term.close()
    assert sorted(shown) == sorted(set(shown)), shown  # no line of the reply twice
    assert set(shown) == set(lines)


@pytest.mark.parametrize("command", ["history", "graphs", "templates", "key", "config"])
def test_no_command_description_is_cut_short_at_80_columns(home, command):
    screen = help_screen(home, 80, command)
    listed = screen[screen.index("Commands") :]
    assert "..." not in listed and "…" not in listed, listed
