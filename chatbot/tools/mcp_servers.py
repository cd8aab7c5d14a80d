"""MCP servers as the config file declares them (``[mcp_servers.NAME]``), their tools' names as
Writer is offered them, and what a tool returns turned into the text of a tool message.

Nothing here imports the MCP library: chatbot.tools.mcp_hub runs the servers.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from chatbot.errors import UsageError
from chatbot.words import counted

OFF, STARTING, READY, FAILED = "off", "starting", "ready", "failed"  # a server's states
RESULT_CAP = 50_000  # characters of one tool result sent to the model; the rest is cut, and said
TOOLS_CAP = 128  # tools offered from one server; more are left out, and said
SCHEMA_CAP = 32_000  # characters of one tool's JSON schema; a larger tool is left out, and said
_KEYS = ("command", "args", "env", "url", "headers", "allow", "enabled", "timeout")
_STDIO_ONLY, _HTTP_ONLY = ("command", "args", "env"), ("url", "headers")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_FUNCTION_NAME = re.compile(r"[^A-Za-z0-9_-]")
NAME_LIMIT = 64  # the longest function name offered (what OpenAI-style APIs accept)


@dataclass(frozen=True)
class ServerSpec:
    """One ``[mcp_servers.NAME]`` table."""

    name: str
    command: str = ""  # a program spoken to over stdio, or
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    allow: frozenset[str] = frozenset()  # tools that run without asking
    enabled: bool = False  # on without --mcp NAME
    timeout: float | None = None  # seconds one call may take (else --timeout)
    url: str = ""  # a streamable-HTTP endpoint
    headers: dict[str, str] = field(default_factory=dict)  # sent with each of its requests

    def where(self) -> str:
        """The command line or the URL, as the user wrote it in the config."""
        return self.url or " ".join([self.command, *self.args])


def parse_servers(value: Any, where: str) -> dict[str, ServerSpec]:
    """Check the ``mcp_servers`` table of a config file: one line naming what is wrong."""
    if not isinstance(value, dict):
        raise UsageError(f"{where}: 'mcp_servers' must hold one table per server")
    return {name: _server(name, table, where) for name, table in value.items()}


def _server(name: str, table: Any, where: str) -> ServerSpec:
    said = f"{where}: mcp_servers.{name}"
    if not _SERVER_NAME.match(name):
        raise UsageError(f"{said}: a server's name is letters, digits, '-' and '_' (32 at most)")
    if not isinstance(table, dict):
        raise UsageError(f"{said} must be a table (command = ..., args = [...])")
    unknown = [key for key in table if key not in _KEYS]
    if unknown:
        raise UsageError(f"{said}: unknown key '{unknown[0]}' (known: {', '.join(_KEYS)})")
    url = table.get("url", "")
    if "url" in table:
        mixed = [key for key in _STDIO_ONLY if key in table]
        if mixed:
            raise UsageError(f"{said}: '{mixed[0]}' goes with command = ..., not with url")
        url = _checked_url(url, said)
    else:
        if "headers" in table:
            raise UsageError(f"{said}: 'headers' goes with url = ..., not with command")
        command = table.get("command")
        if not isinstance(command, str) or not command.strip():
            raise UsageError(
                f"{said}: 'command' must be the program to run (a non-empty string),"
                " or give url = the server's address"
            )
    env = _string_table(table.get("env", {}), said, "env")
    headers = _string_table(table.get("headers", {}), said, "headers")
    enabled = table.get("enabled", False)
    if not isinstance(enabled, bool):
        raise UsageError(f"{said}: 'enabled' must be true or false")
    timeout = table.get("timeout")
    if timeout is not None and not _seconds(timeout):
        raise UsageError(f"{said}: 'timeout' must be a number of seconds above 0")
    return ServerSpec(
        name,
        table.get("command", ""),
        _strings(table.get("args", []), said, "args"),
        env,
        frozenset(_strings(table.get("allow", []), said, "allow")),
        enabled,
        None if timeout is None else float(timeout),
        url,
        headers,
    )


def _string_table(value: Any, said: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise UsageError(f"{said}: '{key}' must be a table of NAME = \"value\"")
    return dict(value)


def _checked_url(url: Any, said: str) -> str:
    """An https address, or plain http to this machine only (headers may carry a token)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        host = parts.hostname if parts else None
    except ValueError:
        parts = host = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise UsageError(f"{said}: 'url' must be an http(s) address (https://host/mcp)")
    if parts.scheme == "http" and host not in ("localhost", "127.0.0.1", "::1"):
        raise UsageError(f"{said}: plain http only to this machine; use https for {host}")
    return url


def _strings(value: Any, said: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UsageError(f"{said}: '{key}' must be a list of strings")
    return tuple(value)


def _seconds(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and value > 0


def offered_name(server: str, tool: str, taken: set[str]) -> str:
    """``server__tool``, as a function name Writer takes, unique among ``taken``."""
    base = _FUNCTION_NAME.sub("_", f"{server}__{tool}")[:NAME_LIMIT]
    name, number = base, 2
    while name in taken:
        suffix = f"_{number}"
        name, number = base[: NAME_LIMIT - len(suffix)] + suffix, number + 1
    return name


def offerable(tools: list[Any], server: str) -> tuple[list[Any], list[str]]:
    """The tools a request can carry (the first ``TOOLS_CAP`` whose schema fits), and a line
    for each reason some were left out."""
    fitting = [tool for tool in tools if len(json.dumps(tool.input_schema)) <= SCHEMA_CAP]
    said = []
    if len(fitting) < len(tools):
        large = counted(len(tools) - len(fitting), "tool")
        said.append(
            f"MCP server {server}: {large} left out, each schema over {SCHEMA_CAP:,} characters"
        )
    if len(fitting) > TOOLS_CAP:
        said.append(
            f"MCP server {server} offers {len(fitting):,} tools: the first {TOOLS_CAP} are offered"
        )
    return fitting[:TOOLS_CAP], said


def function_schema(name: str, tool: Any, server: str) -> dict[str, Any]:
    """A tool of an MCP server as a Writer function tool: its input schema, its description."""
    schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
    description = (tool.description or "").strip() or f"{tool.name} (MCP server {server})"
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description[:1024],
            "parameters": schema or {"type": "object", "properties": {}},
        },
    }


def result_text(result: Any, cap: int = RESULT_CAP) -> str:
    """The tool message for a ``CallToolResult``: its text, its structured content as JSON, a
    line for each part a chat message cannot carry; marked when it is an error; at most ``cap``
    characters, and said when cut."""
    parts = [_content_text(item) for item in result.content or []]
    structured = getattr(result, "structured_content", None)
    if structured is not None:
        data = json.dumps(structured, ensure_ascii=False, default=str)
        if not any(_same_json(part, structured) for part in parts):
            parts.append(f"structuredContent: {data}")
    text = "\n".join(parts) if parts else "(the tool returned nothing)"
    if result.is_error:
        text = f"Error (the tool reported a failure): {text}"
    if len(text) > cap:
        text = (
            f"{text[:cap]}\n[cut: the tool returned {counted(len(text), 'character')};"
            f" the first {cap:,} are here]"
        )
    return text


def _content_text(item: Any) -> str:
    kind = getattr(item, "type", "?")
    if kind == "text":
        return str(item.text)
    if kind in ("image", "audio"):
        size = len(getattr(item, "data", "") or "") * 3 // 4
        return f"[{kind} ({item.mime_type}, about {size:,} bytes): not sent, a chat can't carry it]"
    if kind == "resource_link":
        return f"[link to a resource: {item.uri}{f' ({item.name})' if item.name else ''}]"
    if kind == "resource":
        resource = item.resource
        if getattr(resource, "text", None) is not None:
            return f"[resource {resource.uri}]\n{resource.text}"
        return f"[resource {resource.uri} ({resource.mime_type or 'binary'}): not sent]"
    return f"[a {kind} part: not sent, a chat cannot carry it]"


def _same_json(text: str, data: Any) -> bool:
    """Whether a text part already says the structured content (the SDK's servers wrap a plain
    return value as ``{"result": value}`` beside its text)."""
    if isinstance(data, dict) and list(data) == ["result"] and data["result"] == text:
        return True
    try:
        return json.loads(text) == data
    except (ValueError, RecursionError):
        return False


# a desktop client's config, imported


def desktop_tables(data: Any, source: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The ``mcpServers`` object of the JSON desktop clients keep, as ``[mcp_servers.NAME]``
    tables (each checked as the config file would be), and a line for each server left out."""
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise UsageError(f'{source}: no "mcpServers" object (the JSON desktop clients keep)')
    tables: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    for given, entry in servers.items():
        name = re.sub(r"[^A-Za-z0-9_-]", "-", str(given))[:32] or "server"
        if not isinstance(entry, dict) or not ("command" in entry or "url" in entry):
            skipped.append(f"{given}: neither a command nor a url")
            continue
        if "url" in entry and entry.get("type") == "sse":
            skipped.append(f"{given}: an SSE server (only streamable HTTP is supported)")
            continue
        keys = ("url", "headers") if "url" in entry else ("command", "args", "env")
        table = {key: entry[key] for key in keys if entry.get(key)}
        try:
            parse_servers({name: table}, source)
        except UsageError as problem:
            skipped.append(f"{given}: {str(problem).split(': ', 2)[-1]}")
            continue
        if name in tables:
            skipped.append(f"{given}: the name {name} is taken by another server of the file")
            continue
        tables[name] = table
    return tables, skipped


def toml_tables(tables: dict[str, dict[str, Any]]) -> str:
    """The tables as config-file text, ``allow`` left for the user to fill in."""
    lines = []
    for name, table in tables.items():
        lines.append(f"[mcp_servers.{name}]")
        for key in ("url", "headers", "command", "args", "env"):
            if table.get(key):
                lines.append(f"{key} = {_toml_value(table[key])}")
        lines += ["# allow = []            # tools that run without asking", ""]
    return "\n".join(lines)


def _toml_value(value: str | list[str] | dict[str, str]) -> str:
    """A string, a list of strings or an inline table of strings, as TOML."""
    if isinstance(value, dict):
        pairs = ", ".join(f"{_toml_key(k)} = {_toml_string(v)}" for k, v in value.items())
        return f"{{ {pairs} }}"
    if isinstance(value, list):
        return f"[{', '.join(_toml_string(item) for item in value)}]"
    return _toml_string(value)


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML wants escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)
