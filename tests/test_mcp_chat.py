"""MCP servers in the chat: the config, --mcp, the offer, consent (allow, --yes, the REPL's
question), results going back to the model, the history keeping them, and a server failing
while the chat goes on. The real mcp-server-time over stdio, the fake Writer server over
loopback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from chatbot.engine.chat import DECLINED, Chat
from chatbot.engine.request import ChatParams
from chatbot.engine.tools import web_search_tool
from chatbot.store.journal import Journal
from chatbot.terminal.slash_commands import COMMANDS, Session
from chatbot.tools.mcp_hub import McpHub
from chatbot.tools.mcp_servers import ServerSpec
from tests.conftest import WRITER_CHAT, cli_env, memory_env
from tests.fake_server import TEST_KEY, Script
from tests.terminal import Terminal
from tests.test_engine import ScriptedTransport
from tests.test_one_shot import imported_modules

TIME_SERVER = str(Path(sys.executable).with_name("mcp-server-time"))
FAULT_SERVER = str(Path(__file__).parent / "mcp" / "fault_server.py")


def write_config(home: Path, text: str) -> None:
    path = home / ".config" / "writer-chat" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


TIME_CONFIG = f"""
[mcp_servers.time]
command = {json.dumps(TIME_SERVER)}
args = ["--local-timezone", "UTC"]
allow = ["get_current_time"]
"""

FAULTS_CONFIG = f"""
[mcp_servers.faults]
command = {json.dumps(sys.executable)}
args = [{json.dumps(FAULT_SERVER)}]
env = {{ LEAK = "{TEST_KEY}" }}
allow = ["secret", "crash", "echo"]
"""


def _call(name: str, arguments: dict) -> Script:
    return Script(pieces=[], tool_calls=[(name, json.dumps(arguments))])


def _tool_messages(request) -> list[dict]:
    return [m for m in request.messages if m["role"] == "tool"]


def test_an_allowed_tool_runs_in_a_pipe_and_its_result_goes_back(run_cli, fake, home):
    write_config(home, TIME_CONFIG)
    fake.queue(
        _call("time__get_current_time", {"timezone": "UTC"}),
        _call("time__convert_time", {"source_timezone": "UTC", "time": "12:00",
                                      "target_timezone": "Asia/Tokyo"}),
        Script(pieces=["It is noon in London, 21:00 in Tokyo."]),
    )  # fmt: skip
    result = run_cli("--mcp", "time", "what time is it?")
    assert result.code == 0, result.stderr
    assert result.text == "It is noon in London, 21:00 in Tokyo.\n"
    first, second, third = fake.chat_requests()
    offered = {t["function"]["name"]: t["function"] for t in first.body["tools"]}
    assert set(offered) == {"time__get_current_time", "time__convert_time"}
    assert offered["time__get_current_time"]["parameters"]["properties"]["timezone"]
    (answer,) = _tool_messages(second)
    assert json.loads(answer["content"])["timezone"] == "UTC"
    # convert_time is not in allow, and a pipe has no one to ask: refused, said, told
    assert _tool_messages(third)[-1]["content"] == DECLINED
    refused = [line for line in result.stderr.splitlines() if line.startswith("writer-chat: not")]
    assert refused == [
        "writer-chat: not running time__convert_time (MCP server time): no terminal to ask on"
        " (use --yes to allow or list it in its server's allow)"
    ]


def test_yes_runs_every_tool_and_the_history_keeps_the_calls_for_c(run_cli, fake, home):
    write_config(home, TIME_CONFIG)
    arguments = {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}
    fake.queue(_call("time__convert_time", arguments), Script(pieces=["21:00 in Tokyo."]))
    assert run_cli("--mcp", "time", "--yes", "noon UTC in Tokyo?").code == 0
    converted = _tool_messages(fake.chat_requests()[1])[0]["content"]
    assert json.loads(converted)["target"]["timezone"] == "Asia/Tokyo"
    fake.queue(Script(pieces=["You are welcome."]))
    assert run_cli("-c", "thanks").code == 0  # no server this time: the history is enough
    sent = fake.chat_requests()[-1].messages
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "assistant", "user"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "time__convert_time"
    assert (
        sent[2]["content"] == converted
        and sent[2]["tool_call_id"] == sent[1]["tool_calls"][0]["id"]
    )


def test_the_key_is_cut_from_a_result_and_a_crash_is_one_line(run_cli, fake, home):
    write_config(home, FAULTS_CONFIG)
    fake.queue(
        _call("faults__secret", {}),
        _call("faults__crash", {}),
        Script(pieces=["Done, without the server."]),
    )
    result = run_cli("--mcp", "faults", "go")
    assert result.code == 0, result.stderr
    assert result.text == "Done, without the server.\n"
    second, third = fake.chat_requests()[1:]
    assert _tool_messages(second)[0]["content"] == "the key is **** here"
    assert TEST_KEY not in result.stderr and TEST_KEY not in json.dumps(second.body)
    crashed = _tool_messages(third)[-1]["content"]
    assert crashed == "Error: the MCP server failed during the call (its process ended)"
    assert "tools" not in third.body  # its tools left the offer
    failed = [line for line in result.stderr.splitlines() if "MCP server faults" in line]
    assert len(failed) == 1 and failed[0].startswith(
        "writer-chat: MCP server faults failed: its process ended; its tools are left out"
    )
    assert "crashing now" not in result.stderr  # the server's stderr went to its log


@pytest.mark.parametrize(
    ("config", "args", "said"),
    [
        (TIME_CONFIG, ("--mcp", "git", "hi"), "--mcp git: no such server in the config file"),
        ("", ("--mcp", "time", "hi"), "(known: none: add a [mcp_servers.NAME] table)"),
        ("[mcp_servers.time]\nargs = []\n", ("hi",), "mcp_servers.time: 'command' must be"),
    ],
)
def test_a_wrong_server_is_a_usage_error_before_anything_is_sent(
    run_cli, fake, home, config, args, said
):
    write_config(home, config)
    result = run_cli(*args)
    assert result.code == 2 and len(result.stderr.splitlines()) == 1 and said in result.stderr
    assert fake.chat_requests() == []


def test_without_the_sdk_the_extra_is_named(run_cli, fake, home, monkeypatch):
    import chatbot.tools.mcp_hub

    monkeypatch.setattr(chatbot.tools.mcp_hub, "sdk_installed", lambda: False)
    write_config(home, TIME_CONFIG)
    result = run_cli("--mcp", "time", "hi")
    assert result.code == 2 and "[mcp] extra" in result.stderr
    assert run_cli("hi").code == 0  # servers off: no SDK needed


def test_the_repl_lists_servers_asks_once_with_always_and_turns_them_off(fake, home):
    write_config(home, TIME_CONFIG.replace('allow = ["get_current_time"]', "enabled = true"))
    call = _call("time__get_current_time", {"timezone": "UTC"})
    fake.queue(call, Script(pieces=["Noon."]), call, Script(pieces=["Still noon."]))
    term = Terminal([WRITER_CHAT], cli_env(home, fake.url), str(home / "work"))
    try:
        term.wait_for_prompt(1)
        term.type("what time is it?\r")
        term.wait_for("run time__get_current_time (MCP server time)? [y/N/a=always]")
        term.type("a\r")
        term.wait_for("Noon.")
        term.wait_for_prompt(2)
        term.type("and now?\r")
        term.wait_for("Still noon.")  # not asked again
        assert term.text().count("[y/N/a=always]") == 1
        term.wait_for_prompt(3)
        term.type("/mcp\r")
        term.wait_for("2 tools: time__get_current_time, time__convert_time")
        assert "ready" in term.text()
        term.wait_for("palmyra-x5 · mcp time · context")  # the toolbar says it is on
        term.wait_for_prompt(4)
        term.type("/mcp time\r")
        term.wait_for("MCP server time: off")
    finally:
        term.close()
    tool_messages = _tool_messages(fake.chat_requests()[3])
    assert len(tool_messages) == 2 and all('"UTC"' in m["content"] for m in tool_messages)


def _loaded(home: Path, url: str, *args: str) -> set[str]:
    return imported_modules(*args, env=cli_env(home, url), cwd=home / "work")


def test_the_sdk_loads_only_when_a_server_is_on(fake, home):
    # The speed of a run without MCP (benchmarks/startup.py times it; this checks the imports)
    # a server that ends at once, before its own SDK import: this is about the client's imports
    quick = f"""
[mcp_servers.quick]
command = {json.dumps(sys.executable)}
args = [{json.dumps(FAULT_SERVER)}, "--die-at-start"]
"""
    write_config(home, quick)
    fake.queue(Script(pieces=["plain"]), Script(pieces=["with a server"]))
    plain = _loaded(home, fake.url, "hi")
    assert "httpx" in plain and "chatbot.tools.mcp_servers" in plain  # the check sees imports
    # not the SDK, nor httpx's command-line client (click, rich.progress), which httpx loads
    # whenever click is installed, and the SDK installs it
    assert plain & {"mcp", "mcp.client", "pydantic", "click", "rich.progress"} == set()
    assert {"mcp", "mcp.client.stdio"} <= _loaded(home, fake.url, "--mcp", "quick", "hi")


def _session(**extra) -> Session:
    params = ChatParams("palmyra-x5", tools=(web_search_tool([], []),))
    return Session(Chat(ScriptedTransport(), params), Journal(None), env=memory_env(), **extra)


def test_slash_mcp_without_servers_and_with_one_off(tmp_path):
    assert "no MCP servers in the config file" in COMMANDS.run("/mcp", _session()).message
    hub = McpHub(
        {"time": ServerSpec("time", TIME_SERVER, allow=frozenset({"get_current_time"}))},
        timeout=5,
        log_dir=tmp_path,
        on_problem=print,
    )
    session = _session(mcp=hub)
    listed = COMMANDS.run("/mcp", session).message
    assert listed.split() == ["time", "off", "(run", "without", "asking:", "get_current_time)"]
    wrong = COMMANDS.run("/mcp git", session)
    assert wrong.error and wrong.message.endswith("no MCP server 'git' (known: time)")


def test_slash_graph_beside_the_built_in_web_search_says_how_to_have_both():
    outcome = COMMANDS.run("/graph handbook", _session(find_graph=lambda ref: ("g-1", ref)))
    assert outcome.error and "start with --graph NAME --web-search" in outcome.message
