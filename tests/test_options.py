"""The option table is the one declaration: parser, defaults, config file and config show."""

from __future__ import annotations

import re

import pytest
import typer

from chatbot.cli.parser import build_app
from chatbot.config.config_file import Config, _template, load_config
from chatbot.config.options import CONFIG_OPTIONS, OPTIONS
from chatbot.config.settings import resolve_settings


def test_the_parser_has_exactly_the_table_s_options():
    command = typer.main.get_command(build_app(lambda given: 0))
    params = {p.name: p for p in command.params if p.name not in ("prompt", "version")}
    params = {n: p for n, p in params.items() if not n.endswith("_completion")}
    assert set(params) == {option.name for option in OPTIONS if option.flag}
    for option in (option for option in OPTIONS if option.flag):
        assert set(params[option.name].opts + params[option.name].secondary_opts) == set(
            option.flags
        )
        assert params[option.name].multiple == option.many


def test_parsed_options_arrive_as_given_and_only_those():
    seen: list[dict] = []
    app = build_app(lambda given: seen.append(given) or 0)
    app(["-m", "palmyra-x4", "--stop", "a", "--stop", "b", "--no-save", "hi", "there"],
        standalone_mode=False)  # fmt: skip
    assert seen == [
        {"model": "palmyra-x4", "stop": ("a", "b"), "no_save": True, "prompt": ("hi", "there")}
    ]


def test_defaults_come_from_the_table():
    settings, sources = resolve_settings({}, {"WRITER_API_KEY": "k"}, {}, Config())
    for option in CONFIG_OPTIONS:
        if option.name in ("base_url", "api_key_command"):
            continue  # resolved with the key (below; and tests/test_settings.py)
        assert settings.value(option.name) == option.default
        assert sources[option.name] == "default"
    assert settings.base_url == "https://api.writer.com"


def test_the_config_template_offers_every_config_option_and_reads_back(tmp_path):
    template = _template()
    names = re.findall(r"^# (\w+) = ", template, flags=re.MULTILINE)
    assert names[: len(CONFIG_OPTIONS)] == [option.name for option in CONFIG_OPTIONS]
    uncommented = re.sub(r"^# (\w+ = |\[mcp_servers)", r"\1", template, flags=re.MULTILINE)
    path = tmp_path / "config.toml"
    path.write_text(uncommented)
    config = load_config(path)
    assert set(config.values) == {option.name for option in CONFIG_OPTIONS}
    assert set(config.roles) == {"reviewer", "translator"}
    assert config.mcp_servers["time"].allow == {"get_current_time"}
    settings, sources = resolve_settings({"model": "flagged"}, {"WRITER_API_KEY": "k"}, {}, config)
    assert settings.model == "flagged" and sources["model"] == "flag"
    assert settings.request.temperature == 0.7 and sources["temperature"].startswith("config file")


@pytest.mark.parametrize(
    ("args", "fix"),
    [
        (("history", "of", "rome"), "writer-chat -- 'history of rome'"),
        (("models", "are", "cool"), "writer-chat -- 'models are cool'"),
        (("- item one",), "writer-chat -- '- item one'"),
    ],
)
def test_a_prompt_that_looks_like_a_command_is_told_how_to_send(run_cli, fake, args, fix):
    result = run_cli(*args)
    assert result.code == 2 and len(result.stderr.splitlines()) == 1
    assert f"to send it as a prompt: {fix}" in result.stderr and fake.chat_requests() == []


def test_help_alone_shows_the_help_with_the_commands(run_cli, fake):
    shown = run_cli("help").text
    assert "Commands" in shown and "templates  list, show, edit and rm" in shown
    assert fake.chat_requests() == []
