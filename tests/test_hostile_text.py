"""One hostile string through every path that shows server text: the reply, an error, a tool
name on stderr, the consent prompt, the sources, the history listing, --json on a terminal.
None of it may reach the terminal or a pipe raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import Script
from tests.terminal import Terminal

HOSTILE = "A\x1b]52;c;SGVsbG8=\x07B\x9b31mC\u202eD\u200bE\u200eF\U000e0041\U000e0042G\x1b[2JH"
FORBIDDEN = [
    "\x1b]", "\x07", "\x9b", "\u202e", "\u200b", "\u200e", "\U000e0041", "\x1b[2J", "\x1b[31m",
]  # fmt: skip


def assert_clean(output: bytes | str) -> None:
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    found = [repr(seq) for seq in FORBIDDEN if seq in text]
    found += sorted({repr(c) for c in text if 0x80 <= ord(c) <= 0x9F})
    assert found == [], found


@pytest.fixture
def functions(home: Path) -> Path:
    path = home / "work" / "tools.py"
    path.write_text('def weather(city: str) -> str:\n    """Weather."""\n    return "sunny"\n')
    return path


def run_in_terminal(home: Path, fake, *args: str) -> Terminal:
    term = Terminal([WRITER_CHAT, *args], cli_env(home, fake.url), str(home / "work"))
    try:
        term.wait_exit()
    finally:
        term.close()
    return term


def test_the_reply_in_a_pipe_and_on_a_terminal(run_cli, fake, home):
    fake.queue(Script(pieces=[HOSTILE[:9], HOSTILE[9:]]))
    piped = run_cli("go")
    assert piped.code == 0 and "CDEFG" in piped.text
    assert_clean(piped.stdout)
    fake.queue(Script(pieces=[HOSTILE]))
    term = run_in_terminal(home, fake, "go")
    assert "␛" in term.text()  # an escape is shown as a visible placeholder
    assert_clean(term.raw)


def test_an_error_description(run_cli, fake):
    fake.queue(Script(status=400, error=HOSTILE))
    result = run_cli("go")
    assert result.code == 1 and "request rejected (HTTP 400)" in result.stderr
    assert_clean(result.stderr)


def test_a_tool_name_on_stderr_and_in_the_consent_prompt(run_cli, fake, home, functions):
    fake.queue(Script(pieces=[], tool_calls=[(HOSTILE, "{}")]), Script(pieces=["done"]))
    result = run_cli("--functions", str(functions), "weather?")
    assert "no terminal to ask on" in result.stderr
    assert_clean(result.stderr)
    fake.queue(Script(pieces=[], tool_calls=[(HOSTILE, "{}")]), Script(pieces=["done"]))
    term = Terminal(
        [WRITER_CHAT, "--functions", str(functions)], cli_env(home, fake.url), str(home / "work")
    )
    try:
        term.wait_for_prompt(1)
        term.type("weather?\r")
        term.wait_for("[y/N/a=always]")
        term.type("n\r")
        term.wait_for("done")
    finally:
        term.close()
    assert_clean(term.raw)


def test_sources(run_cli, fake):
    fake.queue(Script(pieces=["ok"], web_search_data={"sources": [{"url": HOSTILE}]}))
    result = run_cli("--web-search", "go")
    assert "Sources" in result.text
    assert_clean(result.stdout)


def test_the_history_listing(run_cli, fake):
    assert run_cli(HOSTILE).code == 0
    listing = run_cli("history")
    assert listing.code == 0 and "CDEFG" in listing.text
    assert_clean(listing.stdout)


def test_json_on_a_terminal(fake, home):
    fake.queue(Script(pieces=[HOSTILE]))
    term = run_in_terminal(home, fake, "--json", "go")
    assert '"content": "A' in term.text()
    assert_clean(term.raw)
