"""Asking before one of the user's functions runs: the same question in the REPL and one-shot."""

from __future__ import annotations

from collections.abc import Callable

from chatbot import outlet
from chatbot.engine.costs import Estimate
from chatbot.engine.reply import ToolCall
from chatbot.env import Env
from chatbot.sanitize import one_line


def question(call: ToolCall, origin: str = "", *, always: bool = False) -> str:
    where = f" ({one_line(origin, 60)})" if origin else ""
    choices = "[y/N/a=always]" if always else "[y/N]"
    return f"run {one_line(call.name, 80)}{where}? {choices} "


def _yes(answer: str) -> bool:
    return answer.strip().lower() in ("y", "yes")


def repl_asker(env: Env) -> Callable[[ToolCall, str], bool]:
    """Ask on the REPL's terminal with prompt_toolkit (default: no); ``a`` runs the tool from
    then on without asking, until the REPL ends. The call's arguments are on the screen above
    (the exchange's view shows each call before it is asked about)."""
    trusted: set[str] = set()

    def ask(call: ToolCall, origin: str) -> bool:
        from chatbot.terminal.prompts import question_session

        if call.name in trusted:
            return True
        try:
            answer = question_session(env).prompt(question(call, origin, always=True))
        except EOFError:
            return False  # Ctrl-D: no. Ctrl-C goes on up: it stops the turn, as everywhere
        if answer.strip().lower() in ("a", "always"):
            trusted.add(call.name)
            return True
        return _yes(answer)

    return ask


def cost_asker(env: Env) -> Callable[[Estimate], bool]:
    """A message estimated over confirm_cost: send it? (default: no; it stays in the prompt)"""

    def ask(found: Estimate) -> bool:
        from chatbot.terminal.prompts import question_session

        try:
            asked = f"this message sends {found.said()}; send? [y/N] "
            return _yes(question_session(env).prompt(asked))
        except (EOFError, KeyboardInterrupt):
            return False

    return ask


def asker_on_stdin(env: Env) -> Callable[[ToolCall, str], bool]:
    """Ask a one-shot run's user, if a terminal is there to answer (default: no)."""

    def ask(call: ToolCall, origin: str) -> bool:
        if not env.stdin_isatty or env.stdin is None:
            allow = " or list it in its server's allow" if origin.startswith("MCP") else ""
            where = f" ({one_line(origin, 60)})" if origin else ""
            outlet.warn(
                env.stderr,
                f"not running {one_line(call.name, 80)}{where}: no terminal to ask"
                f" on (use --yes to allow{allow})",
                terminal=env.stderr_isatty,
            )
            return False
        outlet.write(env.stderr, question(call, origin), terminal=env.stderr_isatty)
        return _yes(env.stdin.readline())

    return ask
