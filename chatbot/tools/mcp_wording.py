"""What went wrong with an MCP server, said in one line that names it (an address without its
password and query; the key is cut where the line leaves: the hub's notes and every tool
result pass the run's redactor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatbot.sanitize import one_line

if TYPE_CHECKING:
    from chatbot.tools.mcp_servers import ServerSpec

START_SECONDS = 30.0  # a server's start and its tool list, at most


def why(problem: BaseException, spec: ServerSpec, *, starting: bool) -> str:
    leaf = _leaf(problem)
    name = spec.name
    if spec.url and starting:
        return f"MCP server {name} cannot be reached at {_safe_url(spec.url)}: {short(leaf, spec)}"
    if isinstance(leaf, FileNotFoundError):
        return f"MCP server {name} cannot start: no program '{one_line(spec.command, 80)}'"
    if isinstance(leaf, PermissionError):
        return f"MCP server {name} cannot start: '{one_line(spec.command, 80)}' may not be run"
    if isinstance(leaf, TimeoutError) and starting:
        return f"MCP server {name} did not start within {START_SECONDS:g} s"
    if starting:
        return f"MCP server {name} cannot start: {short(leaf, spec)}"
    return f"MCP server {name} failed: {short(leaf, spec)}; its tools are left out"


def _safe_url(url: str) -> str:
    """The address without a password or query (either may be a token)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return one_line(f"{parts.scheme}://{host}{port}{parts.path}", 100)


def _leaf(problem: BaseException) -> BaseException:
    while isinstance(problem, BaseExceptionGroup) and problem.exceptions:
        problem = problem.exceptions[0]
    return problem


def short(problem: BaseException, spec: ServerSpec | None = None) -> str:
    text = str(problem) or type(problem).__name__
    if "Connection closed" in text:
        text = "the connection was lost" if spec and spec.url else "its process ended"
    return one_line(text, 120)  # the key is cut where the line leaves (hub, tool results)
