"""One-shot pipe mode at full speed: a 4,000-word reply, whole-process wall time.

Against the same fake server, in the same run: a bare httpx + json client (the floor) and the
official SDK's documented streaming loop (``client.chat.stream``). Targets: at most 1.5x the
bare client, at most 0.25x the SDK loop.

    uv run --group bench python benchmarks/stream.py
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from _common import PYTHON, WRITER_CHAT, FakeWriter, Script, env_for, median

RUNS = 5
WORDS = 4000
CLIENTS = str(Path(__file__).with_name("clients.py"))


def run(argv: list[str], env: dict[str, str], fake: FakeWriter) -> float:
    fake.queue(Script(pieces=[f"word{i} " for i in range(WORDS)]))
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, env=env, check=True)
    elapsed = time.perf_counter() - start
    assert done.stdout.count(b"word") == WORDS, done.stdout[-200:]
    return elapsed


def main() -> None:
    with FakeWriter() as fake:
        env = env_for(fake.url)
        commands = {
            "bare httpx + json": [PYTHON, CLIENTS, "bare", "go"],
            "writer-chat": [WRITER_CHAT, "go"],
        }
        try:
            import writerai  # noqa: F401

            commands["writer-sdk chat.stream"] = [PYTHON, CLIENTS, "sdk", "go"]
        except ImportError:
            print("(writer-sdk not installed: run with `uv run --group bench` to compare)")
        for argv in commands.values():
            run(argv, env, fake)  # warm caches
        times = {
            name: median([run(argv, env, fake) for _ in range(RUNS)])
            for name, argv in commands.items()
        }
    ours, bare = times["writer-chat"], times["bare httpx + json"]
    for name, value in times.items():
        print(f"{name:<24} {value:6.3f} s")
    print(f"writer-chat / bare: {ours / bare:.2f}x (target <= 1.5x)")
    if "writer-sdk chat.stream" in times:
        print(
            f"writer-chat / SDK:  {ours / times['writer-sdk chat.stream']:.2f}x (target <= 0.25x)"
        )


if __name__ == "__main__":
    main()
