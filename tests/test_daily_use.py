"""Config file, roles, --file, the editor, completion, install as a tool, help and README."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.cli.helptext import HELP_FILE
from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import FakeWriter
from tests.terminal import Terminal

README = Path(__file__).resolve().parents[1] / "README.md"


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "writer-chat" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_config_sets_defaults_and_each_source_beats_the_one_below(run_cli, fake, home):
    write_config(home, 'model = "palmyra-x4"\ntemperature = 0.5\nsystem = "from config"\n')
    assert run_cli("one").code == 0
    body = fake.chat_requests()[-1].body
    assert (body["model"], body["temperature"]) == ("palmyra-x4", 0.5)
    assert body["messages"][0]["content"] == "from config"
    assert run_cli("-m", "palmyra-x5", "--temperature", "0.9", "-s", "from flag", "two").code == 0
    body = fake.chat_requests()[-1].body
    assert (body["model"], body["temperature"]) == ("palmyra-x5", 0.9)
    assert body["messages"][0]["content"] == "from flag"


def test_config_show_says_where_each_setting_came_from(run_cli, fake, home):
    write_config(home, 'model = "palmyra-x4"\n')
    (home / "work" / ".env").write_text("WRITER_API_KEY=abcdefgh1234\n")
    (home / "work" / ".env").chmod(0o600)
    shown = run_cli("config", "show", WRITER_API_KEY=None).text
    rows = {line.split()[0]: line for line in shown.splitlines()}
    assert rows["api_key"].split()[1] == "****1234" and rows["api_key"].endswith(".env")
    assert "abcdefgh" not in shown
    assert rows["model"].split()[1] == "palmyra-x4" and "config file" in rows["model"]
    assert rows["timeout"].split()[1] == "60.0" and rows["timeout"].endswith("default")
    assert rows["base_url"].endswith("environment")  # the test environment sets it


def test_config_init_writes_a_commented_template_once(run_cli, fake, home):
    result = run_cli("config", "init")
    assert result.code == 0
    path = home / ".config" / "writer-chat" / "config.toml"
    assert "# model = " in path.read_text() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert run_cli("config", "init").code == 2
    assert run_cli("config", "init", "--force").code == 0
    assert run_cli("hello").code == 0  # the template itself is a valid config


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('model = "x"\ncolour = "red"\n', "config.toml:2: unknown setting 'colour'"),
        ('model = "x\n', "config.toml: Illegal character"),
        ("temperature = 7\n", "config.toml:1: 'temperature' must be from 0 to 2"),
        ('retries = "two"\n', "config.toml:1: 'retries' must be an int"),
    ],
)
def test_a_bad_config_is_a_one_line_error_naming_file_and_line(run_cli, fake, home, text, fragment):
    write_config(home, text)
    result = run_cli("hello")
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert fragment in result.stderr
    assert fake.chat_requests() == []


def test_role_picks_a_named_system_prompt(run_cli, fake, home):
    write_config(home, '[roles]\nreviewer = "You review code."\n')
    assert run_cli("--role", "reviewer", "look").code == 0
    assert fake.chat_requests()[-1].messages[0] == {"role": "system", "content": "You review code."}
    result = run_cli("--role", "poet", "x")
    assert result.code == 2 and "unknown role 'poet'" in result.stderr


def test_file_adds_contents_under_its_name(run_cli, fake, home):
    (home / "work" / "main.py").write_text("print('hi')\n")
    (home / "work" / "notes.md").write_text("```\nfenced\n```\n")
    assert run_cli("-f", "main.py", "-f", "notes.md", "review these").code == 0
    sent = fake.chat_requests()[-1].messages[-1]["content"]
    assert sent == (
        "review these\n\nmain.py:\n```\nprint('hi')\n```\n\nnotes.md:\n````\n```\nfenced\n```\n````"
    )
    assert run_cli("-f", "missing.txt", "x").code == 2


def _editor(home: Path, text: str) -> str:
    script = home / "fake-editor.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s' '{text}' > \"$1\"\n")
    script.chmod(0o755)
    return str(script)


def _repl(fake: FakeWriter, home: Path, pty: bool = False, **env: str) -> Terminal:
    term = Terminal([WRITER_CHAT], cli_env(home, fake.url, **env), str(home / "work"), pty=pty)
    term.wait_for_prompt(1)
    return term


def test_ctrl_x_ctrl_e_and_slash_edit_send_what_the_editor_saved(fake, home):
    editor = _editor(home, "written in the editor")
    term = _repl(fake, home, pty=True, EDITOR=editor, VISUAL="")  # the editor takes the tty
    try:
        term.type("draft")
        term.wait_for("draft")
        term.ctrl("x")
        term.ctrl("e")
        term.wait_for("You said: written in the editor")
        term.wait_for_prompt(2)
        term.type("/edit\r")
        term.wait_until(lambda: len(fake.chat_requests()) == 2, "the second request")
    finally:
        term.close()
    assert [r.messages[-1]["content"] for r in fake.chat_requests()] == [
        "written in the editor",
        "written in the editor",
    ]


def test_shell_completion_completes_options(home):
    env = {
        **os.environ,
        "_WRITER_CHAT_COMPLETE": "complete_bash",
        "COMP_WORDS": "writer-chat --mo",
        "COMP_CWORD": "1",
    }
    done = subprocess.run([WRITER_CHAT], capture_output=True, text=True, env=env)
    assert done.returncode == 0
    assert "--model" in done.stdout.split()


def _uv() -> str | None:
    return os.environ.get("UV") or shutil.which("uv")


@pytest.mark.skipif(_uv() is None, reason="uv is not available")
def test_the_wheel_installs_into_a_fresh_venv_and_runs(tmp_path):
    uv = _uv()
    root = README.parent
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path), str(root)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("writer_chat-*.whl")
    venv = tmp_path / "venv"
    subprocess.run(
        [uv, "venv", "--python", sys.executable, str(venv)], check=True, capture_output=True
    )
    subprocess.run(
        [uv, "pip", "install", "--python", str(venv / "bin" / "python"), str(wheel)],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [str(venv / "bin" / "writer-chat"), "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout.startswith("writer-chat ")
    help_text = subprocess.run(
        [str(venv / "bin" / "writer-chat"), "--help"], capture_output=True, text=True, cwd=tmp_path
    ).stdout
    assert "Connection" in help_text  # the saved help travels in the wheel


def test_readme_usage_section_is_the_help_text():
    readme = README.read_text()
    match = re.search(r"<!-- help -->\n```text\n(.*?)```\n<!-- /help -->", readme, re.DOTALL)
    assert match, "README lacks the generated usage section"
    assert match.group(1) == HELP_FILE.read_text(), "run: uv run python -m chatbot.cli.helptext"


def test_config_show_lines_up_every_row_and_says_where_each_came_from(run_cli, fake, home):
    rows = run_cli("config", "show", HTTP_PROXY="http://127.0.0.1:3128").text.splitlines()
    starts = {len(row) - len(row.split("  ", 1)[1].lstrip()) for row in rows}
    assert len(starts) == 1, rows  # the values start in one column, long names included
    proxy = next(row for row in rows if row.startswith("proxy"))
    assert proxy.split()[-1] == "(HTTP_PROXY)" and "http://127.0.0.1:3128" in proxy
