"""The console script: ``writer-chat``.

``--version`` and ``--help`` are answered before anything heavy is imported (the help is the
text typer renders, saved in ``help.txt`` by ``python -m chatbot.cli.helptext``; a test keeps
the two identical). A plain ``writer-chat`` or ``writer-chat "question"`` has nothing for a
parser to do and starts without importing typer; everything else is parsed by typer.
"""

from __future__ import annotations

import os
import sys

from chatbot import __version__
from chatbot.cli.program import OFFLINE_SUBCOMMANDS, PROG, SUBCOMMANDS

HELP_FILE = os.path.join(os.path.dirname(__file__), "help.txt")  # os.path: pathlib costs ~5 ms
HELP_WIDTH = 80  # click wraps help at min(terminal width, 80): wide terminals all look alike


def _wide_enough() -> bool:
    if not sys.stdout.isatty():
        return True
    import shutil

    return shutil.get_terminal_size().columns >= HELP_WIDTH + 2


def _plain_prompt(args: list[str]) -> bool:
    """Just prompt words (or nothing): no flag, no subcommand, no shell completion asked for.

    They mean exactly what typer would make of them, and skip importing it (about 40 ms).
    """
    if os.environ.get("_WRITER_CHAT_COMPLETE") or any(arg.startswith("-") for arg in args):
        return False
    return not args or args[0] not in SUBCOMMANDS


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        print(f"{PROG} {__version__}")
        return
    if args in (["--help"], ["-h"]) and _wide_enough() and os.path.isfile(HELP_FILE):
        with open(HELP_FILE, encoding="utf-8") as saved:
            sys.stdout.write(saved.read())
        return
    if not args or args[0] not in OFFLINE_SUBCOMMANDS:
        from chatbot.api import tls

        tls.prepare()  # the CA certificates load on another core while the rest imports
    from chatbot.cli.modes import run_guarded, start

    if _plain_prompt(args):
        sys.exit(run_guarded(lambda: start({"prompt": tuple(args)} if args else {})))
    from chatbot.cli.parser import parse_and_run

    sys.exit(run_guarded(lambda: parse_and_run(args, start)))
