"""Code out of replies: `-x` prints only the fenced code (all blocks, or the Nth) to a pipe; in
the REPL each code block is numbered under it and `/copy code N` copies that one."""

from __future__ import annotations

import base64

import pytest

from chatbot.cli.parser import short_extract
from tests.fake_server import Script

REPLY = [
    "Save this as run.sh:\n\n",
    "```bash\n#!/bin/sh\nfind . -name '*.log' -mtime +7 -delete\n```\n\n",
    "Then, to check:\n\n```sh\nls *.log\n```\n",
]
FIRST = "#!/bin/sh\nfind . -name '*.log' -mtime +7 -delete\n"
SECOND = "ls *.log\n"


def test_x_prints_only_the_code_into_a_pipe(run_cli, fake):
    fake.queue(Script(pieces=REPLY))
    every = run_cli("-x", "a script that deletes old logs")
    assert every.code == 0 and every.stderr == ""
    assert every.text == f"{FIRST}\n{SECOND}"
    assert fake.chat_requests()[-1].messages[-1]["content"] == "a script that deletes old logs"

    fake.queue(Script(pieces=REPLY))
    first = run_cli("-x", "1", "a script that deletes old logs")
    assert first.code == 0 and first.text == FIRST
    assert b"\x1b" not in first.stdout


def test_x_with_the_prompt_on_stdin_and_a_number(run_cli, fake):
    fake.queue(Script(pieces=REPLY))
    result = run_cli("-x", "2", stdin=b"the same, from a pipe\n")
    assert result.code == 0 and result.text == SECOND
    assert fake.chat_requests()[-1].messages[-1]["content"] == "the same, from a pipe"


@pytest.mark.parametrize(
    ("args", "pieces", "said"),
    [
        (("-x", "3", "go"), REPLY, "the reply has 2 code blocks, not 3"),
        (("-x", "go"), ["No code here, sorry."], "the reply has no code block"),
    ],
)
def test_x_without_that_block_prints_nothing_and_shows_the_reply_on_stderr(
    run_cli, fake, args, pieces, said
):
    fake.queue(Script(pieces=pieces))
    result = run_cli(*args)
    assert result.code == 1 and result.stdout == b""
    assert f"writer-chat: nothing printed: {said}; here it is, on stderr\n" in result.stderr
    assert "".join(pieces).splitlines()[0] in result.stderr  # what the model said is not lost


def test_short_x_becomes_extract_and_leaves_the_rest_alone():
    assert short_extract(["-x", "a prompt"]) == ["--extract", "0", "a prompt"]
    assert short_extract(["-x", "2", "a prompt"]) == ["--extract", "2", "a prompt"]
    assert short_extract(["-m", "palmyra-x4", "-x"]) == ["-m", "palmyra-x4", "--extract", "0"]
    assert short_extract(["--", "-x", "2"]) == ["--", "-x", "2"]


def test_the_repl_numbers_code_blocks_and_copies_the_one_asked_for(terminal, fake):
    fake.queue(Script(pieces=REPLY))
    term = terminal()
    term.say("a script that deletes old logs")
    lines = term.lines()
    assert "code 1 · /copy code 1" in lines and "code 2 · /copy code 2" in lines
    assert lines.index("code 1 · /copy code 1") < lines.index("Then, to check:")
    start = len(term.raw)
    term.say("/copy code 1")
    term.wait_for(f"copied {len(FIRST)} characters")
    assert b"\x1b]52;c;" + base64.b64encode(FIRST.encode()) + b"\x07" in term.raw[start:]
    term.say("/copy code 3")
    term.wait_for("N must be from 1 to 2")


def test_a_code_blocks_label_shows_with_it_not_when_the_next_block_starts(terminal, fake):
    fake.queue(Script(pieces=["```python\n", "x = 1\n", "```\n", "More ", "text after."],
                      delay=0.3))  # fmt: skip
    term = terminal()
    term.type("code please\r")
    term.wait_for("code 1 · /copy code 1")
    assert "More" not in term.text()  # the label came before the next block began
    term.wait_for("text after.")
