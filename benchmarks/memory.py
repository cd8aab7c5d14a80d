"""Memory of a long REPL session: peak RSS over 200 turns, and growth per turn.

Drives the real writer-chat in a pseudo-terminal against the fake server (each reply about
60 words of Markdown) for 400 turns. The baseline, in the same process, is the RSS after the
first turn. Growth is shown twice: over turns 10..200, while bounded caches (rich's styles,
the regex cache, SQLite's page cache) are still filling, and over turns 200..400, which is
what a long session keeps adding (each a least-squares slope through RSS samples taken every
10 turns: one sample moves by a few hundred KB with the allocator's timing). Target: peak under
80 MB over 200 turns; no growth per turn beyond the text itself.

    uv run python benchmarks/memory.py [--no-save]
"""

from __future__ import annotations

import sys
from pathlib import Path
from statistics import linear_regression

from _common import ROOT, WRITER_CHAT, FakeWriter, Script, env_for

sys.path.insert(0, str(ROOT))
from tests.terminal import Terminal

TURNS = 400
PEAK_AT = 200
SAMPLE_EVERY = 10  # growth is the slope of a line fitted through these samples
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


def prompt_after(term: Terminal, turn: int) -> bool:
    """The reply to ``question {turn}`` is done: a fresh prompt is drawn below it. (Only the
    visible screen is read: a 400-turn session outgrows any scrollback worth scanning.)"""
    lines = [line.rstrip() for line in term.screen.display]
    asked = [i for i, line in enumerate(lines) if line == f"> question {turn}"]
    return bool(asked) and any(
        line == ">" or line.startswith("> ") for line in lines[asked[-1] + 1 :]
    )


def main() -> None:
    with FakeWriter() as fake:
        term = Terminal([WRITER_CHAT, *sys.argv[1:]], env_for(fake.url), str(ROOT))
        term.wait_for_prompt(1)
        samples = {}
        for turn in range(1, TURNS + 1):
            fake.queue(Script(pieces=REPLY))
            term.type(f"question {turn}\r")
            term.wait_until(lambda n=turn: prompt_after(term, n), f"prompt after {turn}", 20)
            if turn == 1 or turn % SAMPLE_EVERY == 0:
                samples[turn] = rss_kb(term.child.pid, "VmRSS")
            if turn == PEAK_AT:
                peak = rss_kb(term.child.pid, "VmHWM")
        term.close()
    final = fake.chat_requests()[-1].messages
    text_kb = sum(len(m["content"]) for m in final) / 1024 / TURNS
    print(f"RSS after turn 1 (baseline):  {samples[1] / 1024:6.1f} MB")
    print(
        f"peak RSS over {PEAK_AT} turns:      {peak / 1024:6.1f} MB"
        f"  ({peak / samples[1]:.2f}x the baseline; target < 80 MB)"
    )
    print(f"RSS after turn {TURNS}:           {samples[TURNS] / 1024:6.1f} MB")
    for first, last in ((10, PEAK_AT), (PEAK_AT, TURNS)):
        turns = [turn for turn in samples if first <= turn <= last]
        growth = linear_regression(turns, [samples[turn] for turn in turns]).slope
        print(
            f"growth per turn, turns {first}..{last}: {growth:6.1f} KB"
            f"  (conversation text added per turn: {text_kb:.1f} KB)"
        )


if __name__ == "__main__":
    main()
