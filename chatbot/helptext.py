"""Render ``writer-chat --help`` with typer, and save it for the fast path in chatbot.entry.

uv run python -m chatbot.helptext
"""

from __future__ import annotations

import contextlib
import io
import os

from chatbot.entry import HELP_FILE, HELP_WIDTH


def render_help() -> str:
    from chatbot.cli import run_cli

    out = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH + 2)
    try:
        with contextlib.redirect_stdout(out):
            run_cli(["--help"])
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    return out.getvalue()


if __name__ == "__main__":
    HELP_FILE.write_text(render_help(), encoding="utf-8")
    print(f"wrote {HELP_FILE}")
