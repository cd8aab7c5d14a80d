"""Every bad value is a usage error (exit 2, one line) before anything is sent or saved."""

from __future__ import annotations

import pytest

from chatbot.engine.chat import Chat
from chatbot.engine.request import ChatParams
from chatbot.store.journal import Journal
from chatbot.terminal.slash_commands import COMMANDS, Session
from tests.conftest import memory_env
from tests.test_engine import ScriptedTransport


def assert_refused(result, fake, home, *words: str) -> None:
    assert result.code == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr
    assert fake.chat_requests() == []
    assert not (home / "data" / "writer-chat" / "history.db").exists()


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--temperature", "nan"], "not a number"),
        (["--top-p", "nan"], "not a number"),
        (["--timeout", "inf"], "not a number"),
        (["--temperature", "-inf"], "not in the range"),
    ],
)
def test_flags_that_are_not_numbers(run_cli, fake, home, flags, said):
    assert_refused(run_cli(*flags, "go"), fake, home, flags[0], said)


def config_file(home, text: bytes) -> None:
    path = home / ".config" / "writer-chat" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(text)


def test_nan_in_the_config_file(run_cli, fake, home):
    config_file(home, b"temperature = nan\n")
    assert_refused(
        run_cli("go", XDG_CONFIG_HOME=str(home / ".config")),
        fake,
        home,
        "config.toml:1",
        "'temperature' must be a finite number",
    )


def test_a_config_file_that_is_not_utf8(run_cli, fake, home):
    config_file(home, b'system = "caf\xe9"\n')
    assert_refused(
        run_cli("go", XDG_CONFIG_HOME=str(home / ".config")),
        fake,
        home,
        "config.toml is not UTF-8 text",
    )


@pytest.mark.parametrize("key", ["clé-non-ascii", "two\nlines", "with space"])
def test_a_key_no_api_key_can_be(run_cli, fake, home, key):
    result = run_cli("go", WRITER_API_KEY=key)
    assert_refused(result, fake, home, "WRITER_API_KEY in the environment has characters")
    assert key not in result.stderr


def test_slash_temperature_nan_is_refused():
    session = Session(Chat(ScriptedTransport(), ChatParams("m")), Journal(None), env=memory_env())
    outcome = COMMANDS.run("/temperature nan", session)
    assert outcome.error and "finite" in outcome.message
    assert session.chat.params.temperature is None
