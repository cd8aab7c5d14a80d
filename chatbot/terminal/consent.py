"""Asking before one of the user's functions runs: the same question in the REPL and one-shot."""

from __future__ import annotations

import sys

from chatbot.engine.reply import ToolCall
from chatbot.sanitize import one_line


def question(call: ToolCall) -> str:
    return f"run {one_line(call.name, 80)}? [y/N] "


def _yes(answer: str) -> bool:
    return answer.strip().lower() in ("y", "yes")


def always(call: ToolCall) -> bool:
    """--yes: run every call without asking."""
    return True


def ask_in_repl(call: ToolCall) -> bool:
    """Ask on the REPL's terminal with prompt_toolkit (default: no)."""
    from prompt_toolkit import PromptSession

    try:
        return _yes(PromptSession[str]().prompt(question(call)))
    except (EOFError, KeyboardInterrupt):
        return False


def ask_on_stdin(call: ToolCall) -> bool:
    """Ask a one-shot run's user, if a terminal is there to answer (default: no)."""
    if not sys.stdin.isatty():
        sys.stderr.write(
            f"writer-chat: not running {one_line(call.name, 80)}: no terminal to ask on"
            " (use --yes to allow)\n"
        )
        return False
    sys.stderr.write(question(call))
    sys.stderr.flush()
    return _yes(sys.stdin.readline())
