"""`writer-chat mcp` and `mcp import FILE`: a desktop client's mcpServers JSON turned into
[mcp_servers.NAME] tables that the config file reads back."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from chatbot.config.config_file import load_config
from chatbot.errors import UsageError
from chatbot.tools.mcp_servers import desktop_tables, toml_tables

DESKTOP = {
    "mcpServers": {
        "time": {"command": "uvx", "args": ["mcp-server-time", "--local-timezone=UTC"]},
        "my files": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", 'C:\\Users\\me\\"docs"'],
            "env": {"DEBUG": "1", "odd key": "tab\there\x7f"},
        },
        "remote": {"url": "https://example.test/mcp", "headers": {"Authorization": "Bearer t"}},
        "old": {"type": "sse", "url": "https://example.test/sse"},
        "plain": {"url": "http://example.test/mcp"},
        "broken": {"command": "x", "args": "not a list"},
    }
}


def test_desktop_servers_become_tables_that_read_back(tmp_path: Path):
    tables, skipped = desktop_tables(DESKTOP, "desktop.json")
    assert list(tables) == ["time", "my-files", "remote"]
    assert skipped == [
        "old: an SSE server (only streamable HTTP is supported)",
        "plain: plain http only to this machine; use https for example.test",
        "broken: 'args' must be a list of strings",
    ]
    path = tmp_path / "config.toml"
    path.write_text(toml_tables(tables))
    servers = load_config(path).mcp_servers
    assert servers["my-files"].args[-1] == 'C:\\Users\\me\\"docs"'
    assert servers["my-files"].env == {"DEBUG": "1", "odd key": "tab\there\x7f"}
    assert servers["time"].command == "uvx" and servers["time"].enabled is False
    assert servers["remote"].url == "https://example.test/mcp"
    assert servers["remote"].headers == {"Authorization": "Bearer t"}


def test_a_file_without_mcp_servers_is_one_line():
    with pytest.raises(UsageError, match=r'desktop\.json: no "mcpServers" object'):
        desktop_tables({"servers": {}}, "desktop.json")


def test_import_appends_to_the_config_and_mcp_lists_them(run_cli, home):
    config = home / ".config" / "writer-chat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('model = "palmyra-x5"\n\n[mcp_servers.time]\ncommand = "mine"\n')
    source = home / "work" / "claude_desktop_config.json"
    source.write_text(json.dumps(DESKTOP))
    dry = run_cli("mcp", "import", "--dry-run", source.name)
    assert dry.code == 0 and dry.text.startswith('[mcp_servers.my-files]\ncommand = "npx"')
    assert "[mcp_servers.my-files]" not in config.read_text()  # a dry run changes nothing
    result = run_cli("mcp", "import", source.name)
    assert result.code == 0, result.stderr
    assert result.text.startswith(f"added 2 MCP servers to {config}: my-files, remote")
    assert f"skipped time: in {config} already" in result.stderr
    data = tomllib.loads(config.read_text())
    assert data["model"] == "palmyra-x5" and data["mcp_servers"]["time"]["command"] == "mine"
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    listed = run_cli("mcp")
    assert listed.code == 0
    assert listed.text.splitlines()[0].split() == ["time", "off", "mine"]
    again = run_cli("mcp", "import", source.name)
    assert again.code == 2 and "nothing to import" in again.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"{not json", "is not JSON: Expecting property name"),
        (b"\xff\xfe", "is not UTF-8"),
        (b'{"mcpServers": []}', 'no "mcpServers" object'),
    ],
)
def test_a_bad_import_file_is_one_line(run_cli, home, content, said):
    (home / "work" / "bad.json").write_bytes(content)
    result = run_cli("mcp", "import", "bad.json")
    assert result.code == 2 and len(result.stderr.splitlines()) == 1 and said in result.stderr


def test_hostile_names_and_commands_are_shown_made_safe_on_one_line(run_cli, home):
    hostile = {"mcpServers": {
        "\x1b]0;pwned\x07old": {"type": "sse", "url": "https://example.test/sse"},
        "ok": {"command": "run\x1b[2J\nsecond line\x1b]52;c;ZXZpbA==\x07", "args": ["a\nb"]},
    }}  # fmt: skip
    (home / "work" / "hostile.json").write_text(json.dumps(hostile))
    imported = run_cli("mcp", "import", "hostile.json", on_terminal=True)
    assert imported.code == 0, imported.stderr
    listed = run_cli("mcp", on_terminal=True)
    for result in (imported, listed):
        assert "\x1b" not in result.text + result.stderr and "\x07" not in result.stderr
    assert "skipped ␛]0;pwned" in imported.stderr and len(imported.stderr.splitlines()) == 1
    [line] = listed.text.splitlines()
    assert line.startswith("ok ") and "run␛[2J␤second line␛]52;c;ZXZpbA==" in line
