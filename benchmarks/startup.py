"""Start-up cost: ``--version``, ``--help`` and the REPL's first prompt.

Baseline, in the same run: ``python -c pass`` with the same interpreter. Targets: --version and
--help at most 4x the baseline; the first REPL prompt drawn within 250 ms of exec.

    uv run python benchmarks/startup.py
"""

from __future__ import annotations

import subprocess
import time

import pexpect
from _common import PYTHON, WRITER_CHAT, env_for, median

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


if __name__ == "__main__":
    main()
