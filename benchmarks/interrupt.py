"""How fast Ctrl-C gives the prompt back while a reply streams (target: within 200 ms).

Drives the real writer-chat in a pseudo-terminal against the fake server. The baseline, run in
the same session, is the time from pressing Enter on an empty line to the next prompt: the
cost of one round trip through the PTY and prompt_toolkit, which no interrupt can beat.

    uv run python benchmarks/interrupt.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import FakeWriter, Script
from tests.terminal import Terminal

RUNS = 7


def main() -> None:
    home = Path(tempfile.mkdtemp())
    (home / "work").mkdir()
    (home / "data").mkdir()
    interrupts, baselines = [], []
    with FakeWriter() as fake:
        term = Terminal([WRITER_CHAT], cli_env(home, fake.url), str(home / "work"))
        term.wait_for_prompt(1)
        prompts = 1
        for run in range(RUNS):
            fake.queue(Script(pieces=[f"w{j} " for j in range(2000)], delay=0.02))
            term.type(f"stream {run}\r")
            term.wait_for("w5 ")
            start = time.monotonic()
            term.ctrl("c")
            prompts += 1
            term.wait_for_prompt(prompts)
            interrupts.append(time.monotonic() - start)

            start = time.monotonic()
            term.type("\r")
            term.wait_until(
                lambda n=prompts: term.screen.cursor.y >= 0 and term.prompts() > n,
                "the next prompt",
            )
            prompts = term.prompts()
            baselines.append(time.monotonic() - start)
        term.close()
    interrupt, baseline = statistics.median(interrupts), statistics.median(baselines)
    print(f"Enter on an empty line -> next prompt (baseline): {1000 * baseline:6.1f} ms median")
    print(f"Ctrl-C while streaming -> prompt back:            {1000 * interrupt:6.1f} ms median")
    print(f"ratio: {interrupt / baseline:.2f}x the baseline; target: under 200 ms")


if __name__ == "__main__":
    main()
