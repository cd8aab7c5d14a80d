"""Start-up cost: ``--version``, ``--help`` and the REPL's first prompt.

Baseline, in the same run: ``python -c pass`` with the same interpreter. Targets: --version and
--help at most 4x the baseline; the first REPL prompt drawn within 250 ms of exec. The prompt
again with an MCP server on (mcp-server-time, the [mcp] extra): the server and the SDK start in
the background, so the prompt should not wait for them (target: within 1.25x of the plain one).

    uv run python benchmarks/startup.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

import pexpect
from _common import PYTHON, WRITER_CHAT, env_for, median

TIME_SERVER = str(Path(PYTHON).with_name("mcp-server-time"))


def with_mcp_server(env: dict[str, str]) -> dict[str, str]:
    """The same environment with a config file that turns the time server on."""
    config = Path(tempfile.mkdtemp(prefix="writer-chat-bench-config-"))
    (config / "writer-chat").mkdir()
    (config / "writer-chat" / "config.toml").write_text(
        f"[mcp_servers.time]\ncommand = {json.dumps(TIME_SERVER)}\nenabled = true\n"
    )
    return {**env, "XDG_CONFIG_HOME": str(config)}


RUNS = 15


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def first_prompt(env: dict[str, str]) -> float:
    start = time.perf_counter()
    child = pexpect.spawn(WRITER_CHAT, [], env=env, dimensions=(30, 100))
    child.expect("> ", timeout=10)
    elapsed = time.perf_counter() - start
    child.terminate(force=True)
    return elapsed


def main() -> None:
    env = env_for("http://127.0.0.1:9")
    for argv in ([WRITER_CHAT, "--version"], [WRITER_CHAT, "--help"]):
        wall(argv, env)  # the first run writes bytecode caches
    baseline = median([wall([PYTHON, "-c", "pass"], env) for _ in range(RUNS)])
    print(f"python -c pass (baseline):   {1000 * baseline:6.1f} ms")
    for flag in ("--version", "--help"):
        figure = median([wall([WRITER_CHAT, flag], env) for _ in range(RUNS)])
        print(
            f"writer-chat {flag:<10}      {1000 * figure:6.1f} ms  {figure / baseline:4.1f}x"
            "  (target <= 4x)"
        )
    first_prompt(env)
    prompt = median([first_prompt(env) for _ in range(7)])
    print(
        f"REPL first prompt:           {1000 * prompt:6.1f} ms  {prompt / baseline:4.1f}x"
        "  (target <= 250 ms)"
    )
    if Path(TIME_SERVER).exists():
        mcp_env = with_mcp_server(env)
        first_prompt(mcp_env)
        with_server = median([first_prompt(mcp_env) for _ in range(7)])
        print(
            f"  with an MCP server on:     {1000 * with_server:6.1f} ms"
            f"  {with_server / prompt:4.2f}x the plain prompt  (target <= 1.25x)"
        )


if __name__ == "__main__":
    main()
