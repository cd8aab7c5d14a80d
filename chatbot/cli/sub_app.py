"""What every command beside chatting shares: its typer app, and how it writes to stdout."""

from __future__ import annotations

import typer

from chatbot.cli.helpstyle import markup_mode
from chatbot.env import current
from chatbot.errors import ReaderGone


def sub_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=markup_mode(),
        context_settings={"help_option_names": ["-h", "--help"]},
        help=help_text,
        invoke_without_command=True,
    )


def out(text: str, end: str = "\n") -> None:
    """Write to stdout; a reader that went away (| head) ends the command quietly.

    The parser turns a BrokenPipeError into exit 1, so it is raised as ReaderGone instead."""
    stdout = current().stdout
    try:
        stdout.write(text + end)
        stdout.flush()
    except BrokenPipeError:
        raise ReaderGone from None


def page(text: str) -> None:
    """Show ``text`` through $PAGER (less) on a terminal when it is taller than the screen, as
    git log does; write it plainly otherwise."""
    env = current()
    if not env.stdout_isatty or text.count("\n") + 2 < env.terminal_lines():
        out(text)
        return
    import shlex
    import subprocess

    pager = shlex.split(env.get("PAGER") or "less -FRX")
    try:
        subprocess.run(
            pager, input=text + "\n", text=True, check=False, env=dict(env.environ), cwd=env.cwd
        )
    except OSError:  # no such pager
        out(text)
