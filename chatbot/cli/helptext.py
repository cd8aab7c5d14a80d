"""Render ``writer-chat --help`` with typer; save it for the console script's fast path and
the README's usage section.

uv run python -m chatbot.cli.helptext
"""

from __future__ import annotations

import io
from pathlib import Path

from chatbot.cli import main
from chatbot.env import Env, using

HELP_FILE = Path(main.HELP_FILE)
HELP_WIDTH = main.HELP_WIDTH


def render_help() -> str:
    """The help as typer renders it on a terminal of HELP_WIDTH + 2 columns (the panels' width:
    chatbot.cli.helpstyle), whatever terminal this runs in."""
    import typer.rich_utils

    from chatbot.cli.parser import parse_and_run
    from chatbot.run.modes import start

    columns = HELP_WIDTH + 2
    out = io.StringIO()
    env = Env(None, out, io.StringIO(), {"COLUMNS": str(columns)}, ".")
    saved = typer.rich_utils.MAX_WIDTH  # typer's console: its width, else the real terminal's
    typer.rich_utils.MAX_WIDTH = columns
    try:
        with using(env):
            parse_and_run(["--help"], env, lambda given: start(given, env))
    finally:
        typer.rich_utils.MAX_WIDTH = saved
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
