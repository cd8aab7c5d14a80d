"""One table of request parameters (chatbot.engine.params): a value outside a parameter's
limits is refused the same way whether a flag, the config file, a template or a slash command
gave it: exit 2 (or an error in the chat), one line, nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.config.options import BY_NAME
from chatbot.engine.chat import Chat
from chatbot.engine.params import PARAMS, OutOfLimits, check_param, checked
from chatbot.engine.request import ChatParams
from chatbot.store.journal import Journal
from chatbot.terminal.slash_commands import COMMANDS, Session
from tests.conftest import memory_env
from tests.test_engine import ScriptedTransport

BAD = [("temperature", 5.0), ("temperature", -0.5), ("max_tokens", -3), ("top_p", 1.5)]


def _config_home(home: Path) -> Path:
    folder = home / "cfg" / "writer-chat"
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    return folder


def _refused(result, fake, *words: str) -> None:
    assert result.code == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert fake.chat_requests() == []


@pytest.mark.parametrize(("name", "value"), BAD)
def test_a_flag_a_config_value_and_a_template_are_refused_alike(run_cli, fake, home, name, value):
    flag = BY_NAME[name].flags[0]
    _refused(run_cli(flag, str(value), "go"), fake, flag)
    folder = _config_home(home)
    env = {"XDG_CONFIG_HOME": str(home / "cfg")}
    (folder / "config.toml").write_text(f"{name} = {value}\n")
    _refused(run_cli("go", **env), fake, "config.toml:1", f"'{name}'")
    (folder / "config.toml").unlink()
    (folder / "templates" / "hot.toml").write_text(f'prompt = "hi"\n{name} = {value}\n')
    _refused(run_cli("-t", "hot", **env), fake, "hot.toml", f"'{name}'")


def test_the_template_of_the_issue_sends_nothing(run_cli, fake, home):
    folder = _config_home(home)
    (folder / "templates" / "hot.toml").write_text(
        'prompt = "hi"\ntemperature = 5.0\nmax_tokens = -3\n'
    )
    _refused(run_cli("-t", "hot", XDG_CONFIG_HOME=str(home / "cfg")), fake, "hot.toml")


def test_a_good_template_value_is_sent_and_a_flag_still_wins(run_cli, fake, home):
    folder = _config_home(home)
    (folder / "templates" / "cool.toml").write_text('prompt = "hi"\ntemperature = 1\n')
    env = {"XDG_CONFIG_HOME": str(home / "cfg")}
    assert run_cli("-t", "cool", **env).code == 0
    assert run_cli("-t", "cool", "--temperature", "0.2", **env).code == 0
    bodies = [request.body for request in fake.chat_requests()]
    assert [body["temperature"] for body in bodies] == [1.0, 0.2]


SLASH = {"temperature": "/temperature", "max_tokens": "/max-tokens", "top_p": "/top-p"}


def _session() -> Session:
    return Session(
        Chat(ScriptedTransport(), ChatParams("palmyra-x5")), Journal(None), env=memory_env()
    )


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, v in BAD if n in SLASH])
def test_a_slash_command_refuses_what_the_flag_refuses(name, value):
    command = SLASH[name]
    session = _session()
    outcome = COMMANDS.run(f"{command} {value:g}", session)
    assert outcome.error and "must be" in outcome.message
    assert getattr(session.chat.params, name) is None


def test_every_parameter_is_a_field_of_the_request_and_an_option():
    fields = set(ChatParams.__dataclass_fields__)
    for param in PARAMS:
        assert param.name in fields
        option = BY_NAME[param.name]
        assert (option.kind, option.low, option.high) == (param.kind, param.low, param.high)


def test_checked_takes_an_int_for_a_float_and_refuses_bools_and_strings():
    assert checked(1, float, 0, 2) == 1.0 and isinstance(checked(1, float, 0, 2), float)
    for bad in (True, "1", float("nan"), 2.5):
        with pytest.raises(OutOfLimits):
            checked(bad, float, 0, 2)
    assert check_param("stop", ["a", "b"]) == ("a", "b")
    with pytest.raises(OutOfLimits, match="at least 1"):
        check_param("max_tokens", 0)


def test_every_sampling_parameter_has_its_slash_command_from_the_table():
    session = _session()
    for param in PARAMS:
        word = "/" + param.name.replace("_", "-")
        assert word in COMMANDS.table, word
        if param.name == "model" or param.many:
            continue
        value = param.high if param.high is not None else (param.low or 0) + 7
        outcome = COMMANDS.run(f"{word} {value:g}", session)
        assert not outcome.error and getattr(session.chat.params, param.name) == value
        assert COMMANDS.run(f"{word} -", session).message.endswith("server default")
        assert getattr(session.chat.params, param.name) is None


def test_stop_sequences_are_added_one_at_a_time_and_cleared():
    session = _session()
    assert COMMANDS.run("/stop", session).message == "stop: server default"
    COMMANDS.run("/stop END", session)
    assert COMMANDS.run("/stop ###", session).message == "stop: 'END', '###'"
    assert session.chat.params.stop == ("END", "###")
    COMMANDS.run("/stop -", session)
    assert session.chat.params.stop == ()


@pytest.mark.parametrize(("name", "value"), [*BAD, ("temperature", float("nan")), ("model", None)])
def test_the_chat_refuses_a_parameter_out_of_its_limits(name, value):
    chat = Chat(ScriptedTransport(), ChatParams("palmyra-x5", temperature=0.5))
    before = chat.params
    with pytest.raises(OutOfLimits):
        chat.set_params(**{name: value})
    assert chat.params == before
