"""Asking before one of the user's functions runs: the same question in the REPL and one-shot."""

from __future__ import annotations

from collections.abc import Callable

from chatbot.engine.costs import Estimate
from chatbot.engine.reply import ToolCall
from chatbot.env import Env
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


def ask_cost_in_repl(found: Estimate) -> bool:
    """A message estimated over confirm_cost: send it? (default: no; it stays in the prompt)"""
    from prompt_toolkit import PromptSession

    try:
        return _yes(PromptSession[str]().prompt(f"this message sends {found.said()}; send? [y/N] "))
    except (EOFError, KeyboardInterrupt):
        return False


def asker_on_stdin(env: Env) -> Callable[[ToolCall], bool]:
    """Ask a one-shot run's user, if a terminal is there to answer (default: no)."""

    def ask(call: ToolCall) -> bool:
        if not env.stdin_isatty or env.stdin is None:
            env.stderr.write(
                f"writer-chat: not running {one_line(call.name, 80)}: no terminal to ask on"
                " (use --yes to allow)\n"
            )
            return False
        env.stderr.write(question(call))
        env.stderr.flush()
        return _yes(env.stdin.readline())

    return ask
