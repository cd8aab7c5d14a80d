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

from chatbot.api.client import WriterClient
from chatbot.api.retry import RetryPolicy
from chatbot.engine.chat import Chat, deliver
from chatbot.engine.request import ChatParams
from chatbot.env import Env
from chatbot.terminal.render import MarkdownRenderer
from chatbot.terminal.view import ExchangeView

REPLY = [
    "## Answer\n\n",
    *[f"word{i} " for i in range(50)],
    "\n\n- one\n- two\n\n",
    "```python\nprint('x')\n```\n",
]
TURNS = 200


def main() -> None:
    with FakeWriter() as fake:
        client = WriterClient(TEST_KEY, fake.url, 10, retry=RetryPolicy(retries=2), environ={})
        chat = Chat(client, ChatParams("palmyra-x5"))
        console = Console(file=io.StringIO(), force_terminal=True, width=100, height=30)
        env = Env(None, io.StringIO(), io.StringIO(), {}, ".")
        view = ExchangeView(
            lambda: MarkdownRenderer(console, "monokai"),
            lambda text: None,
            lambda lines: None,
            env,
        )

        def turn(number: int) -> None:
            fake.queue(Script(pieces=REPLY))
            console.file = io.StringIO()
            deliver(chat.send(f"question {number}"), [view])

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
    text = sum(len(m.content) for m in chat.conversation.turns[-2 * TURNS :])
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
