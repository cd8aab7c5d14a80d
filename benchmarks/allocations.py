"""Where memory goes over 200 turns, measured in-process with tracemalloc.

Runs 200 exchanges through the real client, the Markdown renderer and the fake server in one
process (the server's own allocations are left out) and prints the growth by source line.
The baseline is the state after 20 warm-up turns.

    uv run python benchmarks/allocations.py
"""

from __future__ import annotations

import gc
import io
import tracemalloc

from _common import TEST_KEY, FakeWriter, Script
from rich.console import Console

from chatbot.api import WriterClient
from chatbot.commands import Session
from chatbot.conversation import Conversation
from chatbot.exchange import run_exchange
from chatbot.render import MarkdownRenderer
from chatbot.request import ChatParams

REPLY = [
    "## Answer\n\n",
    *[f"word{i} " for i in range(50)],
    "\n\n- one\n- two\n\n",
    "```python\nprint('x')\n```\n",
]
TURNS = 200


def main() -> None:
    with FakeWriter() as fake:
        client = WriterClient(TEST_KEY, fake.url, 10)
        session = Session(Conversation(), ChatParams("palmyra-x5"))
        console = Console(file=io.StringIO(), force_terminal=True, width=100, height=30)

        def turn(number: int) -> None:
            fake.queue(Script(pieces=REPLY))
            console.file = io.StringIO()
            run_exchange(
                client,
                session,
                f"question {number}",
                lambda: MarkdownRenderer(console),
                lambda text: None,
            )

        for number in range(20):
            turn(number)
        gc.collect()
        tracemalloc.start(10)
        before = tracemalloc.take_snapshot()
        for number in range(20, 20 + TURNS):
            turn(number)
        gc.collect()
        after = tracemalloc.take_snapshot()
    ours = [
        s
        for s in after.compare_to(before, "lineno")
        if "fake_server" not in s.traceback[0].filename
        and "http/server" not in s.traceback[0].filename
        and "email/" not in s.traceback[0].filename
        and "json/" not in s.traceback[0].filename
    ]
    text = sum(len(m.content) for m in session.conversation.turns[-2 * TURNS :])
    growth = sum(s.size_diff for s in ours)
    print(
        f"client-side growth over {TURNS} turns: {growth / 1024:.1f} KB"
        f" ({growth / TURNS / 1024:.2f} KB a turn); conversation text added:"
        f" {text / 1024:.1f} KB ({text / TURNS / 1024:.2f} KB a turn)"
    )
    for stat in ours[:8]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / 1024:7.1f} KB  {frame.filename}:{frame.lineno}")


if __name__ == "__main__":
    main()
