"""Render ``writer-chat --help`` with typer; save it for the console script's fast path and
the README's usage section.

uv run python -m chatbot.cli.helptext
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from chatbot.cli import main

HELP_FILE = Path(main.HELP_FILE)
HELP_WIDTH = main.HELP_WIDTH


def render_help() -> str:
    from chatbot.cli.modes import start
    from chatbot.cli.parser import parse_and_run

    out = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH + 2)
    try:
        with contextlib.redirect_stdout(out):
            parse_and_run(["--help"], start)
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    return out.getvalue()


README_START, README_END = "<!-- help -->\n```text\n", "```\n<!-- /help -->"


def update_readme(readme: Path, help_text: str) -> None:
    """Replace the README's usage section with ``help_text`` (between the markers)."""
    text = readme.read_text(encoding="utf-8")
    start = text.index(README_START) + len(README_START)
    end = text.index(README_END, start)
    readme.write_text(text[:start] + help_text + text[end:], encoding="utf-8")


if __name__ == "__main__":
    rendered = render_help()
    HELP_FILE.write_text(rendered, encoding="utf-8")
    readme = HELP_FILE.parents[2] / "README.md"
    if readme.exists():
        update_readme(readme, rendered)
    print(f"wrote {HELP_FILE} and the usage section of {readme.name}")
