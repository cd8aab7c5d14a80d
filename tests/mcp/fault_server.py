"""An MCP server with tools that misbehave, built on the SDK's own server side, run over stdio
by tests/test_mcp*.py: ``python tests/mcp/fault_server.py`` (``--http PORT``: over streamable
HTTP instead)."""

from __future__ import annotations

import json
import os
import sys
import time

if "--die-at-start" in sys.argv:  # before the SDK's import: a server that fails at once
    sys.stderr.write("fault server: cannot start (asked to)\n")
    sys.exit(4)
if "--never-start" in sys.argv:  # writes its pid to the file named next, then never answers
    with open(sys.argv[sys.argv.index("--never-start") + 1], "w") as pid_file:
        pid_file.write(str(os.getpid()))
    time.sleep(3600)

if "--stubborn" in sys.argv:  # ignores SIGTERM, forks a child that does too, stays at exit
    import atexit
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        os.close(0)  # not the protocol's: only the server speaks on it
        os.close(1)
        while True:
            time.sleep(3600)
    with open(sys.argv[sys.argv.index("--stubborn") + 1], "w") as pid_file:
        pid_file.write(f"{os.getpid()} {child}")
    atexit.register(time.sleep, 3600)  # when its stdin closes, it does not end either
if "--key-on-stdout" in sys.argv:  # the key (in LEAK) on the protocol's stream, not JSON-RPC
    os.write(1, f"starting with {os.environ.get('LEAK', '')}\n".encode())

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.utilities.types import Image

server = MCPServer("faults")
WIRE = os.dup(1)  # the protocol's pipe: the SDK moves it off fd 1 once it runs


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool()
def crash() -> str:
    """End the server's process in the middle of the call."""
    sys.stderr.write("fault server: crashing now\n")
    sys.stderr.flush()
    os._exit(3)


@server.tool()
def hang() -> str:
    """Never answer."""
    time.sleep(3600)
    return "too late"


@server.tool()
def fail() -> str:
    """Raise, which the SDK sends back as an error result."""
    raise RuntimeError("the disk is on fire")


@server.tool()
def garble() -> str:
    """Write a line that is not JSON-RPC onto the protocol's stream, then answer."""
    os.write(WIRE, b"this is not JSON-RPC\n")  # one line: atomic on a pipe
    return "answered after the garbage"


@server.tool()
def big(size: int) -> str:
    """Return ``size`` characters."""
    return "x" * size


@server.tool()
def environment() -> str:
    """The names of the environment variables the server was started with, as JSON."""
    return json.dumps(sorted(os.environ))


@server.tool()
def secret() -> str:
    """Return what the environment variable LEAK holds (a test puts the API key there)."""
    return f"the key is {os.environ.get('LEAK', '')} here"


@server.tool()
def header(name: str, ctx: Context) -> str:
    """The value of one HTTP request header (over streamable HTTP)."""
    return (ctx.headers or {}).get(name.lower(), "(none)")


@server.tool()
def picture() -> Image:
    """Return an image, which a chat request cannot carry."""
    return Image(data=b"\x89PNG\r\n\x1a\nfake", format="png")


if __name__ == "__main__":
    if "--http" in sys.argv:  # streamable HTTP on 127.0.0.1:PORT/mcp instead of stdio
        port = int(sys.argv[sys.argv.index("--http") + 1])
        server.run("streamable-http", host="127.0.0.1", port=port)
    else:
        server.run("stdio")
