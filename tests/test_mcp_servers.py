"""MCP servers, in this process: the config's tables, the tools' names, results turned into
tool messages, and the hub against real servers over stdio (mcp-server-time from the package
index, and tests/mcp/fault_server.py, built on the SDK's server side, for the faults)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from chatbot import debug
from chatbot.engine.tools import ToolSet
from chatbot.errors import UsageError
from chatbot.redaction import Redactor
from chatbot.tools.functions_file import FunctionBox
from chatbot.tools.mcp_hub import FAILED, READY, McpHub
from chatbot.tools.mcp_servers import (
    NAME_LIMIT,
    ServerSpec,
    offerable,
    offered_name,
    parse_servers,
    result_text,
)

TIME_SERVER = str(Path(sys.executable).with_name("mcp-server-time"))
FAULT_SERVER = str(Path(__file__).parent / "mcp" / "fault_server.py")


# the config's tables


def test_a_server_table_is_read_with_its_defaults():
    servers = parse_servers(
        {"time": {"command": "mcp-server-time", "args": ["--local-timezone", "UTC"]}}, "c:1"
    )
    assert servers["time"] == ServerSpec("time", "mcp-server-time", ("--local-timezone", "UTC"))
    assert servers["time"].enabled is False and servers["time"].allow == frozenset()


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ({"command": ""}, "'command' must be the program to run"),
        ({"args": []}, "'command' must be the program to run"),
        ({"command": "x", "args": "--flag"}, "'args' must be a list of strings"),
        ({"command": "x", "allow": ["a", 1]}, "'allow' must be a list of strings"),
        ({"command": "x", "env": {"A": 1}}, "'env' must be a table"),
        ({"command": "x", "enabled": "yes"}, "'enabled' must be true or false"),
        ({"command": "x", "timeout": 0}, "'timeout' must be a number of seconds above 0"),
        ({"command": "x", "timeout": float("nan")}, "'timeout' must be a number of seconds"),
        ({"command": "x", "tools": []}, "unknown key 'tools' (known: command, args,"),
        ({"url": "http://example.test/mcp"}, "plain http only to this machine; use https"),
        ({"url": "ftp://example.test/mcp"}, "'url' must be an http(s) address"),
        ({"url": "https://example.test/mcp", "args": []}, "'args' goes with command = ..."),
        ({"command": "x", "headers": {}}, "'headers' goes with url = ..., not with command"),
        ({"url": "https://e.test", "headers": {"A": 1}}, "'headers' must be a table"),
        ("mcp-server-time", "must be a table"),
    ],
)
def test_a_wrong_server_table_is_one_line_naming_it(table, said):
    with pytest.raises(UsageError) as raised:
        parse_servers({"time": table}, "config.toml:3")
    message = str(raised.value)
    assert message.startswith("config.toml:3: mcp_servers.time") and said in message
    assert "\n" not in message


def test_a_server_name_must_be_a_plain_word():
    with pytest.raises(UsageError, match="a server's name is letters"):
        parse_servers({"my server": {"command": "x"}}, "c:1")
    with pytest.raises(UsageError, match="one table per server"):
        parse_servers(["time"], "c:1")


# names and results


def test_offered_names_are_unique_valid_and_short_enough():
    taken: set[str] = set()
    first = offered_name("git", "log", taken)
    taken.add(first)
    assert first == "git__log"
    assert offered_name("git", "log", taken) == "git__log_2"
    odd = offered_name("fs", "read file/ü", set())
    assert odd == "fs__read_file__"
    long = offered_name("s" * 32, "t" * 80, set())
    assert len(long) == NAME_LIMIT
    again = offered_name("s" * 32, "t" * 80, {long})
    assert len(again) == NAME_LIMIT and again != long


def test_a_server_with_too_many_or_too_large_tools_offers_what_fits():
    def tool(name, size=10):
        return SimpleNamespace(name=name, input_schema={"description": "x" * size})

    tools = [tool(f"t{n}") for n in range(200)] + [tool("huge", 40_000)]
    fitting, said = offerable(tools, "big")
    assert [t.name for t in fitting] == [f"t{n}" for n in range(128)]
    assert said == [
        "MCP server big: 1 tool left out, each schema over 32,000 characters",
        "MCP server big offers 200 tools: the first 128 are offered",
    ]
    assert offerable(tools[:3], "small") == (tools[:3], [])


def _result(*content, structured=None, error=False):
    return SimpleNamespace(content=list(content), structured_content=structured, is_error=error)


def _text(text):
    return SimpleNamespace(type="text", text=text)


def test_a_result_sends_its_text_and_structured_content_once():
    said = result_text(_result(_text('{"a": 1}'), structured={"a": 1}))
    assert said == '{"a": 1}'  # the text already says it
    both = result_text(_result(_text("two items"), structured={"items": [1, 2]}))
    assert both == 'two items\nstructuredContent: {"items": [1, 2]}'
    wrapped = result_text(_result(_text("hi"), structured={"result": "hi"}))
    assert wrapped == "hi"


def test_an_error_result_is_marked_and_what_cannot_be_sent_is_described():
    image = SimpleNamespace(type="image", data="iVBORw0KGgpmYWtl", mime_type="image/png")
    link = SimpleNamespace(type="resource_link", uri="file:///notes.md", name="notes")
    said = result_text(_result(_text("failed to read"), image, link, error=True))
    assert said.startswith("Error (the tool reported a failure): failed to read\n")
    assert "[image (image/png, about 12 bytes): not sent" in said
    assert "[link to a resource: file:///notes.md (notes)]" in said
    assert result_text(_result()) == "(the tool returned nothing)"


def test_a_long_result_is_cut_and_says_so():
    said = result_text(_result(_text("x" * 120)), cap=100)
    assert said.startswith("x" * 100 + "\n[cut: the tool returned 120 characters;")
    assert "x" * 101 not in said


def test_the_key_is_cut_out_of_every_result_in_one_place(monkeypatch):
    monkeypatch.setattr(debug, "REDACTOR", Redactor(["sk-secret-123"]))
    box = FunctionBox({"leak": lambda: "key: sk-secret-123.", "hid": lambda: "sk-se\u200bcret-123"})
    tools = ToolSet([box], clean=debug.REDACTOR.text)  # as the wiring builds it
    assert tools.run("leak", "{}") == "key: ****."
    assert tools.run("hid", "{}") == "****"  # a zero-width space inside hides nothing
    assert ToolSet([box]).run("leak", "{}") == "key: sk-secret-123."  # the check sees it


# the hub, against real servers


def _hub(tmp_path: Path, timeout: float = 20, **servers: ServerSpec) -> tuple[McpHub, list[str]]:
    said: list[str] = []
    hub = McpHub(servers, timeout=timeout, log_dir=tmp_path / "logs", on_problem=said.append)
    hub.turn_on(servers)
    return hub, said


def _faults(name: str = "faults", *extra: str, timeout: float | None = None) -> ServerSpec:
    return ServerSpec(name, sys.executable, (FAULT_SERVER, *extra), timeout=timeout)


def test_the_time_server_offers_its_tools_and_answers(tmp_path):
    hub, said = _hub(tmp_path, time=ServerSpec("time", TIME_SERVER, ("--local-timezone", "UTC")))
    try:
        schemas = {s["function"]["name"]: s["function"] for s in hub.schemas()}
        assert set(schemas) == {"time__get_current_time", "time__convert_time"}
        offered = schemas["time__get_current_time"]
        assert offered["description"] == "Get current time in a specific timezone"
        assert offered["parameters"]["required"] == ["timezone"]
        assert hub.state("time") == READY and hub.origin("time__convert_time") == "MCP server time"
        answer = json.loads(hub.run("time__get_current_time", '{"timezone": "UTC"}'))
        assert answer["timezone"] == "UTC" and answer["datetime"].endswith("+00:00")
        wrong = hub.run("time__get_current_time", '{"timezone": "Nowhere/Else"}')
        assert wrong.startswith("Error (the tool reported a failure):") and "Nowhere" in wrong
        assert (
            hub.run("time__get_current_time", "[1]") == "Error: the arguments must be a JSON object"
        )
        assert said == []
    finally:
        hub.close()


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    """One fault server for the faults it survives, started with the key in the environment."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WRITER_API_KEY", "sk-must-not-leak")
        hub, said = _hub(tmp_path_factory.mktemp("faults"), timeout=20, faults=_faults())
        hub.schemas()
    hub.schemas()
    yield hub, said
    hub.close()


def test_a_server_never_sees_the_key(faults):
    hub, _ = faults  # started by a process whose environment holds the key (as a user's does)
    names = json.loads(hub.run("faults__environment", "{}"))
    assert "WRITER_API_KEY" not in names and "PATH" in names
    assert set(names) <= {"HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_CTYPE"}


def test_an_error_result_goes_back_marked(faults):
    hub, _ = faults
    assert hub.run("faults__fail", "{}").startswith("Error (the tool reported a failure):")
    assert hub.state("faults") == READY


def test_a_line_that_is_not_json_rpc_is_said_once_and_the_server_goes_on(faults):
    hub, said = faults
    assert hub.run("faults__garble", "{}") == "answered after the garbage"
    assert hub.run("faults__garble", "{}") == "answered after the garbage"
    garbage = [line for line in said if "not JSON-RPC" in line]
    assert len(garbage) == 1 and garbage[0].startswith("MCP server faults wrote a line that is not")
    assert hub.run("faults__echo", '{"text": "still here"}') == "still here"


def test_an_image_is_described_and_a_big_result_cut(faults):
    hub, _ = faults
    assert "[image (image/png," in hub.run("faults__picture", "{}")
    big = hub.run("faults__big", '{"size": 60000}')
    assert len(big) < 50_200 and big.endswith("the first 50,000 are here]")


def test_ctrl_c_during_a_call_gives_the_chat_back_and_the_server_stays(tmp_path, ctrl_c_raises):
    hub, _ = _hub(tmp_path, faults=_faults())
    try:
        hub.schemas()
        # Ctrl-C's signal, to the process: any thread may take it, the loop's thread too
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        with pytest.raises(KeyboardInterrupt):
            hub.run("faults__hang", "{}")
        assert hub.state("faults") == READY  # the call's deadline would have stopped it
        assert hub.run("faults__echo", '{"text": "after"}') == "after"
    finally:
        hub.close()


def test_a_server_that_crashes_mid_call_is_said_once_and_its_tools_leave(tmp_path):
    hub, said = _hub(tmp_path, faults=_faults())
    try:
        hub.schemas()
        answer = hub.run("faults__crash", "{}")
        assert answer == "Error: the MCP server failed during the call (its process ended)"
        assert hub.state("faults") == FAILED
        assert hub.schemas() == []
        assert len(said) == 1 and said[0].startswith("MCP server faults failed: its process ended")
        log = tmp_path / "logs" / "faults.log"
        assert str(log) in said[0]
        deadline = time.monotonic() + 10  # the log is copied from the server's pipe by a thread
        while "fault server: crashing now" not in _text_of(log) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "fault server: crashing now" in _text_of(log)
        assert oct(log.stat().st_mode & 0o777) == "0o600"
    finally:
        hub.close()


def test_a_call_that_hangs_meets_its_deadline_and_the_server_is_stopped(tmp_path):
    hub, said = _hub(tmp_path, faults=_faults(timeout=1))
    try:
        hub.schemas()
        answer = hub.run("faults__hang", "{}")
        assert answer == "Error: hang did not answer within 1 s; its server was stopped"
        assert said == [
            "MCP server faults: hang did not answer within 1 s; the server is stopped and its"
            f" tools are left out (its log: {tmp_path / 'logs' / 'faults.log'})"
        ]
        assert hub.schemas() == [] and hub.state("faults") == FAILED
    finally:
        hub.close()


def test_servers_that_cannot_start_are_one_line_each_and_the_others_go_on(tmp_path):
    hub, said = _hub(
        tmp_path,
        missing=ServerSpec("missing", "no-such-mcp-server"),
        dies=_faults("dies", "--die-at-start"),
        time=ServerSpec("time", TIME_SERVER),
    )
    try:
        names = [s["function"]["name"] for s in hub.schemas()]
        assert names == ["time__get_current_time", "time__convert_time"]
        assert len(said) == 2
        missing = "MCP server missing cannot start: no program 'no-such-mcp-server' (its log: "
        assert any(line.startswith(missing) for line in said)
        dies = next(line for line in said if "dies" in line)
        assert dies.startswith("MCP server dies cannot start: its process ended")
        assert "cannot start (asked to)" in (tmp_path / "logs" / "dies.log").read_text()
        hub.turn_off("time")
        assert hub.schemas() == [] and hub.state("time") == "off"
    finally:
        hub.close()


def test_closing_while_a_server_starts_ends_its_process_in_bounded_time(tmp_path):
    pid_file = tmp_path / "pid"
    hub, said = _hub(tmp_path, slow=_faults("slow", "--never-start", str(pid_file)))
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text():
            break
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    hub.close()  # the user quits while the server has not answered yet
    for _ in range(50):  # the SDK signals it; give the signal a moment
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the server's process outlived the chat")
    assert said == []  # quitting is not a failure to report


def test_a_slow_start_is_said_and_ctrl_c_sends_without_its_tools(tmp_path, ctrl_c_raises):
    said: list[str] = []
    servers = {
        "time": ServerSpec("time", TIME_SERVER),
        "slow": _faults("slow", "--never-start", str(tmp_path / "pid")),
    }
    hub = McpHub(
        servers, timeout=20, log_dir=tmp_path / "logs", on_problem=said.append, on_wait=said.append
    )
    try:
        hub.turn_on(["time"])
        assert len(hub.schemas()) == 2
        said.clear()
        hub.turn_on(["slow"])
        threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        names = [s["function"]["name"] for s in hub.schemas()]
        assert hub.state("slow") == "starting"  # at the start deadline it would have failed
        assert names == ["time__get_current_time", "time__convert_time"]  # the ready one's
        assert said == [
            "waiting for MCP server slow to start (Ctrl-C: send without its tools)",
            "MCP server slow has not started yet: its tools are left out of this message",
        ]
    finally:
        hub.close()


def test_a_server_turned_off_and_on_again_answers_from_its_new_process(tmp_path):
    hub, said = _hub(tmp_path, faults=_faults())
    try:
        assert len(hub.schemas()) == 10
        hub.turn_off("faults")
        hub.turn_on(["faults"])  # the first run is still ending on the loop
        assert len(hub.schemas()) == 10 and hub.state("faults") == READY
        assert hub.run("faults__echo", '{"text": "again"}') == "again"
        assert said == []
    finally:
        hub.close()


# over streamable HTTP


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def http_server(tmp_path):
    """The fault server over streamable HTTP on a port of its own: (its URL, its process)."""
    port = _free_port()
    log = (tmp_path / "http-server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, FAULT_SERVER, "--http", str(port)], stdout=log, stderr=log
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/mcp", process
    process.kill()
    process.wait()
    log.close()


def test_a_server_over_http_answers_and_a_lost_connection_is_one_line(tmp_path, http_server):
    url, process = http_server
    spec = ServerSpec("web", url=url, headers={"X-Team": "docs"})
    hub, said = _hub(tmp_path, web=spec)
    try:
        assert len(hub.schemas()) == 10 and hub.state("web") == READY
        assert hub.run("web__echo", '{"text": "over http"}') == "over http"
        assert hub.run("web__header", '{"name": "X-Team"}') == "docs"  # the config's headers
        assert hub.run("web__fail", "{}").startswith("Error (the tool reported a failure)")
        process.kill()
        process.wait()
        answer = hub.run("web__echo", '{"text": "gone"}')
        assert answer == "Error: the MCP server failed during the call (the connection was lost)"
        assert said == ["MCP server web failed: the connection was lost; its tools are left out"]
        assert hub.schemas() == [] and hub.state("web") == FAILED
    finally:
        hub.close()


def test_a_server_over_http_that_hangs_is_disconnected_at_its_deadline(tmp_path, http_server):
    url, _ = http_server
    hub, said = _hub(tmp_path, web=ServerSpec("web", url=url, timeout=1))
    try:
        hub.schemas()
        answer = hub.run("web__hang", "{}")
        assert answer == "Error: hang did not answer within 1 s; its server was disconnected"
        assert said == [
            "MCP server web: hang did not answer within 1 s; the server is disconnected and its"
            " tools are left out"
        ]
    finally:
        hub.close()


def test_a_server_over_http_that_is_not_there_is_one_line_without_its_query(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/mcp?token=sekrit"
    hub, said = _hub(tmp_path, web=ServerSpec("web", url=url))
    try:
        assert hub.schemas() == []
        (line,) = said
        assert line.startswith(f"MCP server web cannot be reached at {url.split('?')[0]}: ")
        assert "sekrit" not in line
    finally:
        hub.close()


def _text_of(path: Path) -> str:
    return path.read_text() if path.exists() else ""
