"""Regenerate docs/screenshot.svg from a real exchange with the fake Writer server.

    uv run python docs/make_screenshot.py

The request goes through the real client, stream decoder and Markdown renderer; the console
records what the renderer printed and rich exports it as SVG.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatbot import __version__  # noqa: E402
from chatbot.api.client import WriterClient  # noqa: E402
from chatbot.api.retry import RetryPolicy  # noqa: E402
from chatbot.engine.chat import Chat, deliver  # noqa: E402
from chatbot.engine.request import ChatParams  # noqa: E402
from chatbot.env import Env  # noqa: E402
from chatbot.terminal.render import MarkdownRenderer  # noqa: E402
from chatbot.terminal.view import ExchangeView  # noqa: E402
from tests.fake_server import TEST_KEY, FakeWriter, Script  # noqa: E402

QUESTION = "How do I read a TOML config in Python?"
REPLY = """\
Use the standard library's `tomllib` (Python 3.11+). It parses bytes, so open the file in
**binary** mode:

```python
import tomllib
from pathlib import Path

def load_config(path: Path) -> dict:
    with path.open("rb") as f:
        return tomllib.load(f)
```

| function | input | notes |
|----------|-------|-------|
| `tomllib.load` | binary file | raises `TOMLDecodeError` on bad input |
| `tomllib.loads` | `str` | same rules |

> `tomllib` only reads TOML. To write it, use a package such as `tomli-w`.
"""


def render_svg() -> str:
    """The screenshot: the same SVG from the same exchange, every time (rich's ids are fixed)."""
    console = Console(
        record=True, file=io.StringIO(), width=92, force_terminal=False, color_system="truecolor"
    )
    console.print(
        Text.assemble(
            (f"writer-chat {__version__}", "bold"),
            " · exit or Ctrl-D to quit · Alt-Enter for a new line · /help",
            style="dim",
        )
    )
    console.print(Text.assemble(("> ", "bold cyan"), QUESTION))
    pieces = [REPLY[i : i + 5] for i in range(0, len(REPLY), 5)]
    with FakeWriter() as fake:
        fake.queue(Script(pieces=pieces))
        client = WriterClient(
            TEST_KEY, fake.url, timeout=10, retry=RetryPolicy(retries=0), environ={}
        )
        quiet = Env(None, io.StringIO(), io.StringIO(), {}, str(ROOT))  # no terminal to mute
        view = ExchangeView(
            lambda: MarkdownRenderer(console, "monokai"),
            lambda text: None,
            lambda lines: None,
            quiet,
        )
        try:
            deliver(Chat(client, ChatParams("palmyra-x5")).send(QUESTION), [view])
        finally:
            client.close()
    console.print()
    console.print(Text("> ", "bold cyan"))
    return console.export_svg(title="writer-chat", unique_id="writer-chat")


TARGET = ROOT / "docs" / "screenshot.svg"


def main() -> None:
    TARGET.write_text(render_svg(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
