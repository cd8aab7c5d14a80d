"""What every command beside chatting shares: its typer app, and how it writes to stdout."""

from __future__ import annotations

import typer

from chatbot import outlet, processes
from chatbot.env import Env
from chatbot.errors import ReaderGone, UsageError


def sub_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        help=help_text,
        invoke_without_command=True,
    )


def env_of(ctx: typer.Context) -> Env:
    """The run's Env, which the parser hands to every command as typer's ``ctx.obj``."""
    env = ctx.find_root().obj
    assert isinstance(env, Env), "parse_and_run passes the Env as obj"
    return env


def out(env: Env, text: str, end: str = "\n") -> None:
    """Write to stdout (through the outlet: the key cut out, controls made visible on a
    terminal); a reader that went away (| head) ends the command quietly.

    The parser turns a BrokenPipeError into exit 1, so it is raised as ReaderGone instead."""
    try:
        outlet.write(env.stdout, text + end, terminal=env.stdout_isatty)
    except BrokenPipeError:
        raise ReaderGone from None


def page(env: Env, text: str) -> None:
    """Show ``text`` through $PAGER (less) on a terminal when it is taller than the screen, as
    git log does; write it plainly otherwise."""
    if not env.stdout_isatty or text.count("\n") + 2 < env.terminal_lines():
        out(env, text)
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
        out(env, text)
        return
    with contextlib.suppress(BrokenPipeError):  # quit before the end
        shown.communicate(text + "\n")
    shown.wait()
