"""Every prompt_toolkit prompt writer-chat shows, built on the Env's keys and screen.

The real process's are its terminal; a test's are a terminal in memory (prompt_toolkit's pipe
input, an output it reads back), so the REPL runs in-process exactly as on a terminal.
"""

from __future__ import annotations

from typing import Any

from prompt_toolkit import PromptSession

from chatbot.env import Env


def prompt_session(env: Env, **options: Any) -> PromptSession[str]:
    """A PromptSession reading the Env's keys and drawing on its screen."""
    if env.prompt_io is None:  # the process's terminal, built once
        from prompt_toolkit.input import create_input
        from prompt_toolkit.output import create_output

        env.prompt_io = (create_input(env.stdin), create_output(env.stdout))
    keys, screen = env.prompt_io
    return PromptSession[str](input=keys, output=screen, **options)
