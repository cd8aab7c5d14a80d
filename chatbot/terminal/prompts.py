"""Every prompt_toolkit prompt writer-chat shows, built on the Env's keys and screen.

The real process's are its terminal; a test's are a terminal in memory (prompt_toolkit's pipe
input, an output it reads back), so the REPL runs in-process exactly as on a terminal.
"""

from __future__ import annotations

import os
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.input import Input

from chatbot.env import Env


def prompt_session(env: Env, **options: Any) -> PromptSession[str]:
    """A PromptSession reading the Env's keys and drawing on its screen."""
    if env.prompt_io is None:  # the process's terminal, built once
        from prompt_toolkit.input import create_input
        from prompt_toolkit.output import create_output

        env.prompt_io = (create_input(env.stdin), create_output(env.stdout))
    keys, screen = env.prompt_io
    return PromptSession[str](input=keys, output=screen, **options)


def question_session(env: Env, **options: Any) -> PromptSession[str]:
    """A PromptSession for a question that guards something (run this tool? execute this
    command?): keys typed before it was shown are thrown away first, so the ``e`` of the next
    message typed ahead, or a ``y``, never answers it."""
    session = prompt_session(env, **options)
    discard_typeahead(session.input)
    return session


def discard_typeahead(keys: Input) -> None:
    """Throw away every key waiting to be read: what prompt_toolkit read ahead, and what the
    terminal (or the pipe a test types into) holds."""
    from prompt_toolkit.input.typeahead import clear_typeahead

    clear_typeahead(keys)
    try:
        fd = keys.fileno()
    except (AttributeError, NotImplementedError, OSError, ValueError):
        return
    import termios

    try:
        termios.tcflush(fd, termios.TCIFLUSH)  # a terminal: what it holds is dropped
        return
    except termios.error:
        pass  # not a terminal: the pipe a test types into, read empty
    blocking = os.get_blocking(fd)
    os.set_blocking(fd, False)
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # BlockingIOError: nothing more waits
        pass
    finally:
        os.set_blocking(fd, blocking)
