"""Where the key and base URL come from, and which URLs may carry the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.config import settings
from chatbot.config.settings import (
    DEFAULT_BASE_URL,
    check_base_url,
    read_dotenv,
    resolve_connection,
)
from chatbot.errors import UsageError


def test_environment_key_beats_dotenv_key():
    connection = resolve_connection(None, {"WRITER_API_KEY": "env"}, {"WRITER_API_KEY": "file"})
    assert (connection.api_key, connection.key_source) == ("env", "environment")


def test_dotenv_key_is_used_when_the_environment_has_none():
    assert resolve_connection(None, {}, {"WRITER_API_KEY": "file"}) == (
        "file",
        DEFAULT_BASE_URL,
        ".env",
        "default",
    )


def test_flag_beats_environment_beats_default_for_the_base_url():
    env = {"WRITER_API_KEY": "k", "WRITER_BASE_URL": "https://env.example"}
    flag = resolve_connection("https://flag.example", env, {})
    assert (flag.base_url, flag.url_source) == ("https://flag.example", "flag")
    environment = resolve_connection(None, env, {})
    assert (environment.base_url, environment.url_source) == ("https://env.example", "environment")
    default = resolve_connection(None, {"WRITER_API_KEY": "k"}, {})
    assert (default.base_url, default.url_source) == (DEFAULT_BASE_URL, "default")


def test_dotenv_base_url_cannot_redirect_a_real_environment_key():
    dotenv = {"WRITER_API_KEY": "file", "WRITER_BASE_URL": "https://evil.example"}
    assert resolve_connection(None, {"WRITER_API_KEY": "real"}, dotenv) == (
        "real",
        DEFAULT_BASE_URL,
        "environment",
        "default",
    )
    assert resolve_connection(None, {}, dotenv) == ("file", "https://evil.example", ".env", ".env")


def test_missing_key_is_a_usage_error():
    with pytest.raises(UsageError, match="WRITER_API_KEY"):
        resolve_connection(None, {"WRITER_API_KEY": "  "}, {})


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://x.example/"]
)
def test_allowed_base_urls(url):
    assert check_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://api.example.com", "ftp://x", "api.writer.com", "https://"])
def test_refused_base_urls(url):
    with pytest.raises(UsageError):
        check_base_url(url)


def test_read_dotenv_reads_only_this_directory(tmp_path: Path):
    (tmp_path / ".env").write_text("WRITER_API_KEY=abc\nEMPTY=\n")
    child = tmp_path / "child"
    child.mkdir()
    assert read_dotenv(tmp_path) == {"WRITER_API_KEY": "abc"}
    assert read_dotenv(child) == {}


def config_with(home, text: str) -> dict[str, str]:
    path = home / "cfg" / "writer-chat" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return {"XDG_CONFIG_HOME": str(home / "cfg")}


def test_api_key_command_supplies_the_key_when_nothing_else_does(run_cli, fake, home):
    env = config_with(home, "api_key_command = \"printf 'test-key\\\\n'\"\n")
    result = run_cli("hi", WRITER_API_KEY=None, **env)
    assert result.code == 0 and result.text == "You said: hi\n"
    shown = run_cli("config", "show", WRITER_API_KEY=None, **env).text
    [row] = [line for line in shown.splitlines() if line.startswith("api_key")]
    assert "****" in row and "api_key_command, config file" in row and "test-key" not in row


def test_a_failing_api_key_command_is_one_line_with_what_it_said(run_cli, fake, home):
    env = config_with(home, "api_key_command = \"sh -c 'echo vault is locked >&2; exit 3'\"\n")
    result = run_cli("hi", WRITER_API_KEY=None, **env)
    assert result.code == 2 and len(result.stderr.splitlines()) == 1
    assert "api_key_command failed (exit 3): vault is locked" in result.stderr
    assert fake.chat_requests() == []
    assert run_cli("hi", **env).code == 0  # a key in the environment wins: the command never runs


def test_a_hanging_api_key_command_is_stopped_at_its_timeout(monkeypatch):
    monkeypatch.setattr(settings, "KEY_COMMAND_TIMEOUT", 0.3)
    with pytest.raises(UsageError) as raised:
        settings.resolve_connection(None, {}, {}, key_command=("sleep 30", "config file"))
    assert str(raised.value) == "api_key_command (sleep 30) ran longer than 0.3 s and was stopped"


def test_what_a_failing_api_key_command_printed_on_stdout_is_never_shown(run_cli, fake, home):
    command = "sh -c 'echo sk-printed-secret-4321; echo denied >&2; exit 1'"
    env = config_with(home, f'api_key_command = "{command}"\n')
    result = run_cli("hi", WRITER_API_KEY=None, **env)
    assert result.code == 2 and "api_key_command failed (exit 1): denied" in result.stderr
    assert "sk-printed-secret" not in result.stderr + result.text
