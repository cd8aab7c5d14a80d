"""Terminal input settings while a reply streams."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from chatbot.env import Env


@contextlib.contextmanager
def keys_not_echoed(env: Env) -> Iterator[None]:
    """Stop the terminal echoing keys (``^C`` included) while a reply is drawn.

    An echoed key lands wherever the live area left the cursor, which shifts every line below
    it and leaves a duplicate of the reply on screen. Ctrl-C still raises KeyboardInterrupt
    (ISIG stays on), and keys typed ahead stay queued for the next prompt.
    """
    try:
        import termios
    except ImportError:  # not POSIX
        yield
        return
    if not env.stdin_isatty or env.stdin is None:
        yield  # stdin is not a terminal: nothing to change
        return
    try:
        fd = env.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (AttributeError, OSError, ValueError, termios.error):
        yield  # stdin is not a terminal: nothing to change
        return
    quiet = list(saved)
    quiet[3] &= ~(termios.ECHO | termios.ECHOCTL)
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
