"""Time to the first token on a terminal, for a one-shot reply.

From process start to the first piece of the reply appearing on a pseudo-terminal, against
the fake server (which answers at once), compared in the same run with a bare httpx client
that prints raw text. Also: how long after the server sent the first piece it reached the
terminal. Targets: at most 0.20 s and at most 1.4x the bare client; the first piece on screen
within 1.5x of the bare client's lag.

    uv run python benchmarks/first_token.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pexpect
from _common import PYTHON, WRITER_CHAT, FakeWriter, Script, env_for, median

RUNS = 15
CLIENTS = str(Path(__file__).with_name("clients.py"))


def first_token(argv: list[str], env: dict[str, str], fake: FakeWriter) -> tuple[float, float]:
    fake.queue(Script(pieces=["Firstpiece ", "and ", "the ", "rest."]))
    start = time.monotonic()
    child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(40, 100))
    child.expect("Firstpiece", timeout=10)
    seen = time.monotonic()
    child.expect(pexpect.EOF, timeout=10)
    sent = fake.chat_requests()[-1].first_content_at or seen
    return seen - start, seen - sent


def _ca_source() -> str:
    """Where the TLS context's certificates come from here; loading them is a real share of
    start-up for both clients, and differs between certifi's bundle and a system one."""
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if os.environ.get(variable):
            return f"{variable}={os.environ[variable]}"
    return "certifi's bundle (run with SSL_CERT_FILE=... to compare)"


def main() -> None:
    with FakeWriter() as fake:
        env = env_for(fake.url)
        commands = {
            "bare httpx (raw text)": [PYTHON, CLIENTS, "bare", "go"],
            "writer-chat (Markdown)": [WRITER_CHAT, "go"],
        }
        for argv in commands.values():
            first_token(argv, env, fake)  # warm caches
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(RUNS):  # interleaved, so a slow spell of the machine hits both alike
            for name, argv in commands.items():
                runs[name].append(first_token(argv, env, fake))
        results = {
            name: (median([r[0] for r in times]), median([r[1] for r in times]))
            for name, times in runs.items()
        }
    print(f"CA certificates (both clients): {_ca_source()}")
    for name, (total, lag) in results.items():
        print(
            f"{name:<24} start -> first token {1000 * total:6.1f} ms;"
            f" server send -> screen {1000 * lag:5.1f} ms"
        )
    ours, bare = results["writer-chat (Markdown)"][0], results["bare httpx (raw text)"][0]
    print(f"writer-chat / bare: {ours / bare:.2f}x (targets: <= 1.4x and <= 200 ms)")
    lag, bare_lag = results["writer-chat (Markdown)"][1], results["bare httpx (raw text)"][1]
    print(f"server send -> screen, writer-chat / bare: {lag / bare_lag:.2f}x (target: <= 1.5x)")


if __name__ == "__main__":
    main()
