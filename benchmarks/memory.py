"""Memory of a long REPL session: peak RSS after 200 turns, and growth per turn.

Drives the real writer-chat in a pseudo-terminal against the fake server (each reply about
60 words of Markdown). The baseline, in the same process, is the RSS after the first turn.
Target: peak under 80 MB; no growth per turn beyond the text itself.

    uv run python benchmarks/memory.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from _common import ROOT, WRITER_CHAT, FakeWriter, Script, env_for

sys.path.insert(0, str(ROOT))
from tests.terminal import Terminal

TURNS = 200
REPLY = [
    "## Answer\n\n",
    *[f"word{i} " for i in range(50)],
    "\n\n- one\n- two\n\n",
    "```python\nprint('x')\n```\n",
]


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def main() -> None:
    with FakeWriter() as fake:
        term = Terminal([WRITER_CHAT, *sys.argv[1:]], env_for(fake.url), str(ROOT))
        term.wait_for_prompt(1)
        samples = {}
        for turn in range(1, TURNS + 1):
            fake.queue(Script(pieces=REPLY))
            term.type(f"question {turn}\r")
            term.wait_until(lambda n=turn: len(fake.chat_requests()) >= n, "request", 10)
            term.wait_for_prompt(turn + 1, timeout=20)
            if turn in (1, 10, TURNS):
                samples[turn] = rss_kb(term.child.pid, "VmRSS")
        peak = rss_kb(term.child.pid, "VmHWM")
        term.close()
    final = fake.chat_requests()[-1].messages
    text_kb = sum(len(m["content"]) for m in final) / 1024
    growth = (samples[TURNS] - samples[10]) / (TURNS - 10)
    print(f"RSS after turn 1 (baseline): {samples[1] / 1024:6.1f} MB")
    print(
        f"RSS after turn {TURNS}:          {samples[TURNS] / 1024:6.1f} MB"
        f"  ({samples[TURNS] / samples[1]:.2f}x the baseline)"
    )
    print(f"peak RSS:                    {peak / 1024:6.1f} MB  (target < 80 MB)")
    print(
        f"growth per turn (10..{TURNS}):   {growth:6.1f} KB  (conversation text sent per turn at"
        f" the end: {text_kb / TURNS:.1f} KB)"
    )


if __name__ == "__main__":
    main()
