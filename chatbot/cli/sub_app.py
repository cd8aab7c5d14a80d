"""What every command beside chatting shares: its typer app, and how it writes to stdout."""

from __future__ import annotations

import typer

from chatbot import outlet, processes
from chatbot.cli.helpstyle import markup_mode
from chatbot.env import current
from chatbot.errors import ReaderGone, UsageError


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
    """Write to stdout (through the outlet: the key cut out, controls made visible on a
    terminal); a reader that went away (| head) ends the command quietly.

    The parser turns a BrokenPipeError into exit 1, so it is raised as ReaderGone instead."""
    env = current()
    try:
        outlet.write(env.stdout, text + end, terminal=env.stdout_isatty)
    except BrokenPipeError:
        raise ReaderGone from None


def page(text: str) -> None:
    """Show ``text`` through $PAGER (less) on a terminal when it is taller than the screen, as
    git log does; write it plainly otherwise."""
    env = current()
    if not env.stdout_isatty or text.count("\n") + 2 < env.terminal_lines():
        out(text)
        return
    import contextlib
    import shlex
    import subprocess

    pager = shlex.split(env.get("PAGER") or "less -FRX")
    try:
        shown = processes.start(
            pager, environ=env.environ, cwd=env.cwd, what="the pager", foreground=True,
            stdin=subprocess.PIPE, text=True,
        )  # fmt: skip
    except (OSError, UsageError):  # no such pager
        out(text)
        return
    with contextlib.suppress(BrokenPipeError):  # quit before the end
        shown.communicate(text + "\n")
    shown.wait()
