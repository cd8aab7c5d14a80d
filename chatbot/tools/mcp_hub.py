"""The MCP servers this run uses, spoken to with the MCP SDK: each a child process over stdio,
or an endpoint over streamable HTTP.

The servers live on one event loop beside the chat (chatbot.tools.mcp_bridge: anyio's
blocking portal, started with the first server turned on). The chat's thread asks through
``schemas()`` and ``run()``, each with a deadline, and Ctrl-C while it waits gives the chat
back at once. How a server is reached is chatbot.tools.mcp_transports. A server that cannot
start, crashes, hangs past its deadline or sends what is not JSON-RPC is said in one line
naming it (chatbot.tools.mcp_wording), through ``on_problem`` and only from the chat's thread
(never over a prompt or a reply); the chat goes on without its tools. Each server's
stderr goes to a log file of its own, never to the terminal.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbot import debug, processes
from chatbot.engine.tools import parse_arguments
from chatbot.tools.mcp_bridge import SLICE, Bridge, wait
from chatbot.tools.mcp_log import ServerLog, tail
from chatbot.tools.mcp_servers import (
    FAILED,
    OFF,
    READY,
    STARTING,
    ServerSpec,
    function_schema,
    offerable,
    offered_name,
    result_text,
)
from chatbot.tools.mcp_transports import all_tools, transport
from chatbot.tools.mcp_wording import START_SECONDS, short, why

_STOP_SECONDS = 5.0  # past a call's own deadline, what the chat's thread waits for its answer
# Closing the run: the servers' stdin is closed (their cue to end), then each step waits this
# long: for them to end, then for the cancelled ones; what is left the launcher ends with its
# process group (TERM, then KILL). A server that ignores all of it costs seconds, not ten.
_CLOSE_GRACE = 1.0
_TELL_AFTER = 0.5  # seconds of waiting for a server to start before saying so


def sdk_installed() -> bool:
    """Whether the MCP SDK is there, without importing it (the [mcp] extra)."""
    import importlib.util

    return importlib.util.find_spec("mcp") is not None


MISSING_SDK = (
    "MCP servers need the mcp package: install writer-chat with its [mcp] extra"
    " (uv tool install 'writer-chat[mcp]', or uv sync --extra mcp in a checkout)"
)


@dataclass
class _Server:
    spec: ServerSpec
    log: Path
    state: str = OFF
    problem: str = ""  # why it failed, one line
    tools: dict[str, Any] = field(default_factory=dict)  # offered name -> the SDK's Tool
    session: Any = None
    stop: asyncio.Event | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    task: concurrent.futures.Future[None] | None = None  # its life on the loop
    said_garbage: bool = False


class McpHub:
    """The configured servers, those on, and their tools offered as functions."""

    def __init__(
        self,
        specs: dict[str, ServerSpec],
        *,
        timeout: float,
        log_dir: Path,
        on_problem: Callable[[str], None],
        on_wait: Callable[[str], None] | None = None,
        http_client: Callable[[str, dict[str, str]], Any] | None = None,
    ) -> None:
        self.timeout = timeout  # a call's deadline, unless its server sets its own
        # builds the HTTP client of a url server (chatbot.api.mcp_http: proxy, trust, caps)
        self.http_client = http_client
        self.on_problem = on_problem
        self.on_wait = on_wait  # told when a message waits for a server to start
        self._servers = {
            name: _Server(spec, log_dir / f"{name}.log") for name, spec in specs.items()
        }
        self._log_dir = log_dir
        self._bridge = Bridge()
        self._problems: list[str] = []  # found on the loop's thread, said on the chat's
        self._lock = threading.Lock()
        self._owner: dict[str, tuple[_Server, str]] = {}  # offered name -> server, tool name

    # which servers are on

    def names(self) -> list[str]:
        return list(self._servers)

    def state(self, name: str) -> str:
        return self._servers[name].state

    def is_on(self, name: str) -> bool:
        """Turned on: starting, or ready with its tools."""
        return self._servers[name].state in (STARTING, READY)

    def problem(self, name: str) -> str:
        return self._servers[name].problem

    def tools_of(self, name: str) -> list[tuple[str, str]]:
        """(offered name, description) of each tool of a server that is ready."""
        server = self._servers[name]
        return [(offered, tool.description or "") for offered, tool in server.tools.items()]

    def allowed_tools(self, name: str) -> frozenset[str]:
        return self._servers[name].spec.allow

    def turn_on(self, names: Iterable[str]) -> None:
        for name in names:
            if self.is_on(name):
                continue
            # A fresh record: a run of it still ending on the loop keeps its own
            old = self._servers[name]
            server = self._servers[name] = _Server(old.spec, old.log, STARTING)
            server.stop = asyncio.Event()  # set from the loop's thread only
            if not self._bridge.running:
                _quiet_sdk_logs()
            server.task = self._bridge.start(self._serve, server)

    def turn_off(self, name: str) -> None:
        server = self._servers[name]
        if self.is_on(name) and server.stop is not None:
            self._bridge.call(server.stop.set)
        server.state, server.tools = OFF, {}

    def close(self) -> None:
        """Stop every server (each gets its stdin closed, then a signal) and the loop."""
        if not self._bridge.running:
            return
        tasks = []
        for server in self._servers.values():
            if server.state == STARTING and server.task is not None:
                server.task.cancel()  # nothing to finish: end its process now
            self.turn_off(server.spec.name)
            if server.task is not None:
                tasks.append(server.task)
        self._bridge.close(tasks, _CLOSE_GRACE)

    # what the chat asks

    def schemas(self) -> list[dict[str, Any]]:
        """The tools of every server that is on, waiting for those still starting (Ctrl-C stops
        the wait: they are left out of this request)."""
        self._wait_for_starting()
        self._say_problems()
        schemas = []
        owner: dict[str, tuple[_Server, str]] = {}
        for server in self._servers.values():
            if server.state != READY:
                continue
            for offered, tool in server.tools.items():
                owner[offered] = (server, tool.name)
                schemas.append(function_schema(offered, tool, server.spec.name))
        self._owner = owner
        return schemas

    def _wait_for_starting(self) -> None:
        """Wait for the servers still starting, saying so if it takes a while; Ctrl-C or the
        start deadline ends the wait, and those not ready are left out of this request."""
        started = time.monotonic()
        told = False
        try:
            for server in self._servers.values():
                while server.state == STARTING and not server.ready.wait(SLICE):
                    waited = time.monotonic() - started
                    if waited > START_SECONDS:
                        break
                    if not told and waited > _TELL_AFTER and self.on_wait is not None:
                        told = True
                        self.on_wait(
                            f"waiting for MCP server {server.spec.name} to start"
                            " (Ctrl-C: send without its tools)"
                        )
        except KeyboardInterrupt:
            pass
        for server in self._servers.values():
            if server.state == STARTING:
                self._note(
                    f"MCP server {server.spec.name} has not started yet: its tools are left out"
                    " of this message"
                )

    def owns(self, name: str) -> bool:
        return name in self._owner

    def origin(self, name: str) -> str:
        server, _ = self._owner[name]
        return f"MCP server {server.spec.name}"

    def allowed(self, name: str) -> bool:
        """Whether the config's ``allow`` lets this tool run without asking."""
        found = self._owner.get(name)
        return found is not None and found[1] in found[0].spec.allow

    def take_web_data(self) -> dict[str, Any] | None:
        return None

    def run(self, name: str, arguments: str) -> str:
        """Call a tool with the model's arguments; what went wrong becomes the text sent back."""
        found = self._owner.get(name)
        if found is None:
            return f"Error: there is no tool named {name}"
        server, tool = found
        parsed = parse_arguments(arguments)
        if isinstance(parsed, str):
            return parsed
        if server.state != READY or not self._bridge.running:
            return f"Error: the MCP server {server.spec.name} is not running"
        seconds = server.spec.timeout or self.timeout
        future = self._bridge.start(self._call, server, tool, parsed, seconds)
        try:
            text = wait(future, seconds + _STOP_SECONDS)  # the call has its own deadline
        except concurrent.futures.TimeoutError:
            future.cancel()
            text = f"Error: {tool} did not answer within {seconds:g} s"
        except KeyboardInterrupt:
            future.cancel()
            raise
        finally:
            self._say_problems()
        return text

    # the loop's side

    async def _serve(self, server: _Server) -> None:
        """Start one server, list its tools, and keep it until it is turned off."""
        spec = server.spec
        assert server.stop is not None
        try:
            from mcp import ClientSession

            log = None if spec.url else ServerLog(server.log, debug.REDACTOR)
            before = processes.children()
            errlog = log.writer if log else None
            # the SDK types its handler by a union of its message classes; ours takes any
            watcher: Any = self._watcher(server)
            try:
                async with (
                    transport(spec, errlog, self.http_client) as (read, write),
                    ClientSession(read, write, message_handler=watcher) as session,
                ):
                    if log is not None:  # its process and its group exist now
                        log.started()
                        processes.adopt_new(before)
                    async with asyncio.timeout(START_SECONDS):
                        await session.initialize()
                        tools = await all_tools(session)
                    if server.stop.is_set() or server.state != STARTING:
                        return  # turned off while it started
                    tools, left_out = offerable(tools, spec.name)
                    for line in left_out:
                        self._note(line)
                    taken = {name for s in self._servers.values() for name in s.tools}
                    for tool in tools:
                        offered = offered_name(spec.name, tool.name, taken)
                        taken.add(offered)
                        server.tools[offered] = tool
                    server.session, server.state = session, READY
                    server.ready.set()
                    await server.stop.wait()
            finally:
                if log is not None:
                    log.close()
                    await asyncio.to_thread(log.wait, 1.0)  # its last words, in the file
        except asyncio.CancelledError:
            raise
        except BaseException as problem:  # an ExceptionGroup from the SDK's task groups too
            if server.state != OFF:
                self._fail(server, why(problem, spec, starting=server.session is None))
        finally:
            server.session = None
            if server.state == READY:  # ended by itself, not turned off
                self._fail(server, f"MCP server {spec.name} stopped; its tools are left out")
            server.ready.set()

    async def _call(
        self, server: _Server, tool: str, arguments: dict[str, Any], seconds: float
    ) -> str:
        session = server.session
        if session is None:
            return f"Error: the MCP server {server.spec.name} is not running"
        debug.log.debug("mcp %s call %s %s", server.spec.name, tool, json.dumps(arguments)[:500])
        try:
            async with asyncio.timeout(seconds):
                result = await session.call_tool(tool, arguments)
        except TimeoutError:
            dropped = "disconnected" if server.spec.url else "stopped"
            self._fail(
                server,
                f"MCP server {server.spec.name}: {tool} did not answer within {seconds:g} s;"
                f" the server is {dropped} and its tools are left out",
            )
            return f"Error: {tool} did not answer within {seconds:g} s; its server was {dropped}"
        except Exception as problem:
            self._fail(server, why(problem, server.spec, starting=False))
            said = short(problem, server.spec)
            return f"Error: the MCP server failed during the call ({said})"
        return result_text(result)

    def _watcher(self, server: _Server) -> Callable[[Any], Any]:
        async def watch(message: Any) -> None:
            if isinstance(message, Exception) and not server.said_garbage:
                server.said_garbage = True  # once a server: the SDK skips the line and goes on
                where = "" if server.spec.url else " on its stdout"
                self._note(
                    f"MCP server {server.spec.name} wrote a line that is not JSON-RPC{where};"
                    " skipped (said once)"
                )

        return watch

    def _fail(self, server: _Server, why: str) -> None:
        """Said once; the server is stopped and its tools leave the offer."""
        if server.state in (FAILED, OFF):
            return
        server.state, server.problem, server.tools = FAILED, why, {}
        if server.stop is not None:
            server.stop.set()
        server.ready.set()
        self._note(f"{why} (its log: {server.log})" if not server.spec.url else why)
        if debug.enabled():
            debug.log.debug("mcp %s stderr, last lines:\n%s", server.spec.name, tail(server.log))

    def _note(self, line: str) -> None:
        with self._lock:
            self._problems.append(line)

    def _say_problems(self) -> None:
        with self._lock:
            problems, self._problems = self._problems, []
        for line in problems:
            self.on_problem(debug.redact_secrets(line))


def _quiet_sdk_logs() -> None:
    """The SDK logs what it skips (with a traceback) through logging, which with no handler
    prints on stderr, over a reply: its records go to the --debug trace, or nowhere."""
    import logging

    sdk = logging.getLogger("mcp")
    sdk.propagate = False
    sdk.handlers[:] = debug.log.handlers or [logging.NullHandler()]
    sdk.setLevel(debug.log.level or logging.WARNING)
