"""REPL slash commands and context trimming, typed into the real program in a PTY."""

from __future__ import annotations

import base64
import json
import os
import re


def test_model_changes_the_next_request(terminal, fake):
    term = terminal()
    term.say("one")
    term.say("/model palmyra-x4")
    term.wait_for("model: palmyra-x4")
    term.say("two")
    assert [r.body["model"] for r in fake.chat_requests()] == ["palmyra-x5", "palmyra-x4"]
    term.wait_for("palmyra-x4 · context")  # the toolbar follows (drawn just after the prompt)


def test_system_replaces_the_system_prompt(terminal, fake):
    term = terminal("-s", "old rules")
    term.say("one")
    term.say("/system new rules")
    term.say("two")
    term.say("/system -")
    term.say("three")
    first, second, third = fake.chat_requests()
    assert first.messages[0] == {"role": "system", "content": "old rules"}
    assert second.messages[0] == {"role": "system", "content": "new rules"}
    assert third.messages[0]["role"] == "user"


def test_temperature_and_max_tokens(terminal, fake):
    term = terminal()
    term.say("/temperature 0.3")
    term.say("/max-tokens 77")
    term.say("/temperature 9")
    term.wait_for("temperature must be from 0 to 2")
    term.say("go")
    body = fake.chat_requests()[0].body
    assert (body["temperature"], body["max_tokens"]) == (0.3, 77)


def test_new_starts_over_and_history_load_brings_it_back(terminal, fake):
    term = terminal()
    term.say("remember the alamo")
    term.say("/new")
    term.say("fresh start")
    assert fake.chat_requests()[1].messages == [{"role": "user", "content": "fresh start"}]
    term.say("/history")
    line = next(row for row in term.lines() if re.match(r"[0-9a-f]{8}  .*the alamo$", row))
    term.say(f"/load {line.split()[0]}")
    term.wait_for("continuing ")
    term.say("and then?")
    contents = [m["content"] for m in fake.chat_requests()[2].messages]
    assert contents == ["remember the alamo", "You said: remember the alamo", "and then?"]


def test_save_writes_markdown_and_json(terminal, fake, home):
    term = terminal()
    term.say("save me")
    term.say("/save talk.md")
    term.say("/save talk.json")
    term.wait_for("saved 2 messages to talk.json")
    work = home / "work"
    assert "## You\n\nsave me" in (work / "talk.md").read_text()
    assert json.loads((work / "talk.json").read_text())["messages"][1]["content"] == (
        "You said: save me"
    )
    assert oct((work / "talk.md").stat().st_mode & 0o777) == "0o600"


def test_copy_puts_the_reply_on_the_clipboard_with_osc_52(terminal, fake):
    from tests.fake_server import Script

    fake.queue(Script(pieces=["Try this:\n\n", "```sh\nls -la\n```\n"]))
    term = terminal()
    term.say("how to list")
    start = len(term.raw)
    term.say("/copy code")
    term.wait_for("copied")
    assert b"\x1b]52;c;" + base64.b64encode(b"ls -la\n") + b"\x07" in term.raw[start:]


def test_usage_and_unknown_commands(terminal, fake):
    term = terminal()
    term.say("hello there")
    term.say("/usage")
    term.wait_for("this session: ")
    assert "of 1,040,000 tokens" in term.text()
    term.say("/nope")
    term.wait_for("unknown command /nope")
    assert len(fake.chat_requests()) == 1


def test_tab_completes_commands(terminal, fake):
    term = terminal()
    term.type("/mod\t")
    term.wait_for("/model")
    term.type(" palmyra-x4\r")
    term.wait_for("model: palmyra-x4")


def test_a_tiny_context_window_trims_the_oldest_turns(terminal, fake):
    term = terminal("--context-window", "200", "--max-tokens", "50", "-s", "keep me")
    long = "x" * 200
    for n in range(4):
        term.say(f"message {n} {long}")
    requests = fake.chat_requests()
    last = requests[-1].messages
    assert last[0] == {"role": "system", "content": "keep me"}  # never trimmed
    assert last[-1]["content"].startswith("message 3")  # the new message is always sent
    assert not any(m["content"].startswith("message 0") for m in last)
    assert term.text().count("context full: leaving out the oldest messages") == 1


def test_copy_inside_tmux_also_loads_tmux_s_buffer(fake, home):
    import shutil
    import subprocess

    import pytest

    from tests.conftest import WRITER_CHAT, cli_env
    from tests.fake_server import Script
    from tests.terminal import Terminal

    if shutil.which("tmux") is None:
        pytest.skip("no tmux here")
    server = ["tmux", "-L", f"writer-chat-test-{os.getpid()}", "-f", "/dev/null"]
    subprocess.run([*server, "new-session", "-d", "-s", "t"], check=True)
    try:
        socket = subprocess.run(
            [*server, "display", "-p", "#{socket_path},#{pid},0"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        fake.queue(Script(pieces=["Exactly this  \n", "text."]))
        term = Terminal([WRITER_CHAT], cli_env(home, fake.url, TMUX=socket), str(home / "work"))
        try:
            term.wait_for_prompt(1)
            term.say("say it")
            term.say("/copy")
            term.wait_for("tmux's buffer")
        finally:
            term.close()
        buffer = subprocess.run(
            [*server, "show-buffer"], capture_output=True, text=True, check=True
        ).stdout
        assert buffer == "Exactly this  \ntext."  # the reply's own text, not its rendering
    finally:
        subprocess.run([*server, "kill-server"], check=False)
