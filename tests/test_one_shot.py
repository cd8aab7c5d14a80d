"""One-shot mode through pipes: the real process, the fake server, stdout not a terminal."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot import __version__
from tests.conftest import cli_env
from tests.fake_server import Script
from tests.terminal import Terminal


def test_prompt_argument_gets_one_plain_reply(run_cli, fake):
    result = run_cli("what", "is", "TCP?")
    assert result.code == 0, result.stderr
    assert result.text == "You said: what is TCP?\n"
    assert result.stderr == ""
    (request,) = fake.chat_requests()
    assert request.messages == [{"role": "user", "content": "what is TCP?"}]
    assert request.headers["authorization"] == "Bearer test-key"


def test_stdin_alone_is_the_prompt(run_cli, fake):
    result = run_cli(stdin=b"hi from a pipe\n")
    assert result.code == 0, result.stderr
    assert result.text == "You said: hi from a pipe\n"
    assert fake.chat_requests()[0].messages[-1]["content"] == "hi from a pipe"  # echo's newline


def test_argument_then_blank_line_then_stdin(run_cli, fake):
    result = run_cli("summarise this", stdin=b"# Notes\nline\n")
    assert result.code == 0, result.stderr
    (request,) = fake.chat_requests()
    assert request.messages[-1]["content"] == "summarise this\n\n# Notes\nline"


def test_flags_reach_the_request(run_cli, fake):
    result = run_cli(
        "-m",
        "palmyra-x4",
        "-s",
        "You are terse.",
        "--temperature",
        "0.2",
        "--max-tokens",
        "50",
        "--top-p",
        "0.9",
        "--stop",
        "END",
        "--stop",
        "STOP",
        "go",
    )
    assert result.code == 0, result.stderr
    body = fake.chat_requests()[0].body
    assert body["model"] == "palmyra-x4"
    assert body["messages"][0] == {"role": "system", "content": "You are terse."}
    assert (body["temperature"], body["max_tokens"], body["top_p"]) == (0.2, 50, 0.9)
    assert body["stop"] == ["END", "STOP"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_unset_options_are_not_sent(run_cli, fake):
    assert run_cli("go").code == 0
    body = fake.chat_requests()[0].body
    assert set(body) == {"model", "messages", "stream", "stream_options"}


def test_piped_output_is_streamed_raw_without_escape_codes(run_cli, fake):
    fake.queue(
        Script(pieces=["# Title\n\n", "**bold** and ", "`code`", " \x1b]52;c;SGVsbG8=\x07x"])
    )
    result = run_cli("markdown please")
    assert result.code == 0
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout
    assert result.text == "# Title\n\n**bold** and `code` ]52;c;SGVsbG8=x\n"


def test_refusal_goes_to_stderr_and_null_content_is_fine(run_cli, fake):
    fake.queue(Script(pieces=[], refusal=["I can't ", "help with that."]))
    result = run_cli("do something bad")
    assert result.code == 0
    assert result.text == ""
    assert "refusal: I can't help with that." in result.stderr


def test_length_finish_reason_warns_that_the_reply_was_cut(run_cli, fake):
    fake.queue(Script(pieces=["a long ", "answer"], finish_reason="length"))
    result = run_cli("--max-tokens", "2", "go")
    assert result.code == 0
    assert result.text == "a long answer\n"
    assert result.stderr.strip() == "writer-chat: reply cut off: it reached the max tokens limit"


def test_stream_without_done_marker_ends_at_end_of_body(run_cli, fake):
    fake.queue(Script(pieces=["all ", "here"], send_done=False, send_usage=False))
    result = run_cli("go")
    assert result.code == 0, result.stderr
    assert result.text == "all here\n"


def test_env_file_supplies_the_key_but_real_environment_wins(run_cli, fake, home):
    (home / "work" / ".env").write_text("WRITER_API_KEY=test-key\n")
    assert run_cli("hi", WRITER_API_KEY=None).code == 0
    (home / "work" / ".env").write_text("WRITER_API_KEY=wrong-key\n")
    assert run_cli("hi").code == 0  # the environment's test-key is used
    assert [r.headers["authorization"] for r in fake.chat_requests()] == ["Bearer test-key"] * 2


def test_version_and_module_entry_point(run_cli):
    assert run_cli("--version").text.strip() == f"writer-chat {__version__}"
    done = subprocess.run(
        [sys.executable, "-m", "chatbot", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("writer-chat ")


def imported_modules(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> set[str]:
    """Modules loaded by the console script for ``args`` (python -X importtime)."""
    code = (
        "import sys; sys.argv = ['writer-chat', *sys.argv[1:]]; "
        "from chatbot.cli.main import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        capture_output=True,
        text=True,
        env=env or {"PATH": "/usr/bin:/bin", "COLUMNS": "100"},
        cwd=cwd,
    )
    return {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}


def test_version_and_help_import_nothing_heavy():
    heavy = {"httpx", "prompt_toolkit", "rich.markdown", "rich", "typer"}
    assert imported_modules("--version") & heavy == set()
    assert imported_modules("--help") & heavy == set()
    assert "typer" not in imported_modules("just", "words")  # a plain prompt skips the parser
    bad_flag = imported_modules("--bogus-flag")
    assert "typer" in bad_flag  # the check does see imports
    assert bad_flag & {"httpx", "prompt_toolkit", "rich.markdown"} == set()  # usage errors: fast


def test_saved_help_is_what_typer_renders():
    from chatbot.cli.helptext import HELP_FILE, render_help

    assert HELP_FILE.read_text() == render_help(), "run: uv run python -m chatbot.cli.helptext"


def test_a_one_shot_on_a_terminal_loads_only_what_it_draws_with(fake, home):
    # What the speed work took off the first-token path stays off it (benchmarks/first_token.py
    # measures the time; this checks the imports, untimed).
    fake.queue(Script(pieces=["Drawn ", "reply."]))
    trace = home / "imports.txt"
    code = "import sys; sys.argv = ['writer-chat', 'go']; from chatbot.cli.main import main; main()"
    command = f"exec {sys.executable} -X importtime -c {shlex.quote(code)} 2>{trace}"
    term = Terminal(["/bin/sh", "-c", command], cli_env(home, fake.url), str(home / "work"))
    try:
        assert term.wait_exit() == 0
    finally:
        term.close()
    assert "Drawn reply." in term.text()
    loaded = {line.split("|")[-1].strip() for line in trace.read_text().splitlines()}
    assert {"rich.live", "ssl"} <= loaded  # the check sees the drawing path
    not_needed = {"typer", "prompt_toolkit", "tomllib", "uuid", "rich.spinner", "platform"}
    assert loaded & not_needed == set()


def test_no_stream_asks_for_the_whole_reply_and_prints_it(run_cli, fake):
    fake.queue(Script(pieces=["All ", "at ", "once."]))
    result = run_cli("--no-stream", "go")
    assert result.code == 0 and result.text == "All at once.\n"
    body = fake.chat_requests()[-1].body
    assert body["stream"] is False and "stream_options" not in body


@pytest.mark.parametrize(
    ("words", "meant"),
    [
        (["histroy"], "history"),
        (["log"], "history"),
        (["keys", "show"], "key"),
        (["graph"], "graphs"),
    ],
)
def test_a_slip_of_a_command_is_not_sent_as_a_paid_prompt(run_cli, fake, words, meant):
    result = run_cli(*words)
    assert result.code == 2 and fake.chat_requests() == []
    assert result.stderr == (
        f"writer-chat: error: '{words[0]}' is not a command: did you mean writer-chat {meant}?"
        f" (to send the words as a prompt: writer-chat -- {' '.join(words)})\n"
    )
    assert run_cli("--", *words).code == 0  # what it says to type sends them
    assert [m["content"] for m in fake.chat_requests()[0].messages] == [" ".join(words)]


def test_words_that_read_as_a_prompt_are_sent(run_cli, fake):
    for words in (
        ["hello"],
        ["tell", "me", "a", "joke"],
        ["History?"],
        ["summarise", "logs", "now", "please"],
    ):
        assert run_cli(*words).code == 0
    assert len(fake.chat_requests()) == 4
