"""The console script: answers ``--version`` and ``--help`` before importing anything heavy.

Everything else goes to :mod:`chatbot.cli`. The help text is the one typer renders, saved in
``help.txt`` by ``python -m chatbot.helptext`` (a test keeps the two identical).
"""

from __future__ import annotations

import sys
from pathlib import Path

from chatbot import __version__

HELP_FILE = Path(__file__).with_name("help.txt")
HELP_WIDTH = 80  # click wraps help at min(terminal width, 80): wide terminals all look alike


def _wide_enough() -> bool:
    if not sys.stdout.isatty():
        return True
    import shutil

    return shutil.get_terminal_size().columns >= HELP_WIDTH + 2


SUBCOMMANDS = ("history", "config", "models")
OFFLINE_SUBCOMMANDS = ("history", "config")


def _plain_prompt(args: list[str]) -> bool:
    """Just prompt words (or nothing): no flag for typer to parse, no subcommand, no completion.

    The commonest calls, ``writer-chat`` and ``writer-chat "question"``, then skip importing
    typer and building the command (about 40 ms); they mean exactly what typer would make of them.
    """
    import os

    if os.environ.get("_WRITER_CHAT_COMPLETE") or any(arg.startswith("-") for arg in args):
        return False
    return not args or args[0] not in SUBCOMMANDS


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        print(f"writer-chat {__version__}")
        return
    if args in (["--help"], ["-h"]) and _wide_enough() and HELP_FILE.is_file():
        sys.stdout.write(HELP_FILE.read_text(encoding="utf-8"))
        return
    if not args or args[0] not in OFFLINE_SUBCOMMANDS:
        from chatbot import tls

        tls.prepare()  # the CA certificates load on another core while the rest imports
    if _plain_prompt(args):
        from chatbot.launch import Options, run_guarded, start

        sys.exit(run_guarded(lambda: start(Options(prompt=tuple(args)))))
    from chatbot.cli import main as cli_main

    cli_main()
