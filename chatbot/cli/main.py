"""The console script: ``writer-chat``.

``--version`` and ``--help`` are answered before anything heavy is imported (the help is the
text typer renders, saved in ``help.txt`` by ``python -m chatbot.cli.helptext``; a test keeps
the two identical). A plain ``writer-chat`` or ``writer-chat "question"`` has nothing for a
parser to do and starts without importing typer; everything else is parsed by typer.

``run(args, env)`` is the whole program with the process given as an Env: the console script
passes the real one, the tests one of their own.
"""

from __future__ import annotations

import os
import sys

from chatbot import __version__
from chatbot.cli.program import OFFLINE_SUBCOMMANDS, PROG, SUBCOMMANDS
from chatbot.env import Env, using

HELP_FILE = os.path.join(os.path.dirname(__file__), "help.txt")  # os.path: pathlib costs ~5 ms
HELP_WIDTH = 80  # click wraps help at min(terminal width, 80): wide terminals all look alike


def _wide_enough(env: Env) -> bool:
    return not env.stdout_isatty or env.terminal_columns() >= HELP_WIDTH + 2


def _plain_prompt(args: list[str], env: Env) -> bool:
    """Just prompt words (or nothing): no flag, no subcommand, no shell completion asked for.

    They mean exactly what typer would make of them, and skip importing it (about 40 ms).
    """
    if env.get("_WRITER_CHAT_COMPLETE") or any(arg.startswith("-") for arg in args):
        return False
    return not args or args[0] not in SUBCOMMANDS


# Words people type for a command that has another name here (what other tools call it).
COMMAND_SLIPS = {"log": "history", "chats": "history", "keys": "key"}
ALIASES = {"logs": "history"}  # what llm's users type: it runs the command


def _mistyped_command(args: list[str]) -> str | None:
    """The command a first word is a slip of (``histroy``, ``logs``) when the words read as a
    command rather than a prompt (one short lowercase word, at most two after it); None when
    they read as a prompt. A slip sent as a prompt would be paid for and answered."""
    word = args[0] if args else ""
    if not (word.isalpha() and word.islower() and len(word) <= 12 and len(args) <= 3):
        return None
    if word in COMMAND_SLIPS:
        return COMMAND_SLIPS[word]
    import difflib

    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.75)
    return close[0] if close else None


def run(args: list[str], env: Env) -> int:
    """Run ``writer-chat ARGS`` in ``env``; return the exit code."""
    if args == ["--version"]:
        env.stdout.write(f"{PROG} {__version__}\n")
        env.stdout.flush()
        return 0
    if args == ["help"]:  # not a prompt anyone means to send alone
        args = ["--help"]
    if args and args[0] in ALIASES:
        args = [ALIASES[args[0]], *args[1:]]
    if args in (["--help"], ["-h"]) and _wide_enough(env) and os.path.isfile(HELP_FILE):
        with open(HELP_FILE, encoding="utf-8") as saved:
            env.stdout.write(saved.read())
        env.stdout.flush()
        return 0
    try:
        with using(env):
            return _run_parsed(args, env)
    finally:
        launched = sys.modules.get("chatbot.processes")
        if launched is not None:  # whatever it started and is still running ends with it
            launched.end_all()


def _run_parsed(args: list[str], env: Env) -> int:
    if not args or args[0] not in OFFLINE_SUBCOMMANDS:
        from chatbot.api import tls

        tls.prepare(env.environ)  # the CA certificates load on another core meanwhile
    from chatbot.run.modes import run_guarded, start

    if _plain_prompt(args, env):
        meant = _mistyped_command(args)
        if meant is not None:
            return run_guarded(env, lambda: _refuse_slip(args, meant))
        return run_guarded(env, lambda: start({"prompt": tuple(args)} if args else {}, env))
    from chatbot.cli.parser import parse_and_run

    return run_guarded(env, lambda: parse_and_run(args, env, lambda given: start(given, env)))


def _refuse_slip(args: list[str], meant: str) -> int:
    from chatbot.errors import UsageError

    raise UsageError(
        f"'{args[0]}' is not a command: did you mean {PROG} {meant}? (to send the words as a"
        f" prompt: {PROG} -- {' '.join(args)})"
    )


def main() -> None:
    sys.exit(run(sys.argv[1:], Env.of_process()))
