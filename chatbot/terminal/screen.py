"""The console replies are drawn on: rich, on the real terminal, one frame per write.

Every write rich makes while a reply streams is a whole frame (erase the live tail, print the
finished blocks, draw the new tail). Terminals that know synchronized output (DEC private mode
2026) are told so, and show each frame only once it is complete; the others ignore the mode.
"""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console

from chatbot.env import Env

BEGIN_FRAME, END_FRAME = "\x1b[?2026h", "\x1b[?2026l"


class FrameWrites:
    """A text stream that brackets each write as one synchronized frame."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if text:
            self._stream.write(BEGIN_FRAME + text + END_FRAME)
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding, ...
        return getattr(self._stream, name)


def no_color(env: Env) -> bool:
    """NO_COLOR set to anything (no-color.org): no colour and no emphasis, the layout kept."""
    return bool(env.get("NO_COLOR"))


def terminal_console(env: Env, *, stderr: bool = False, frames: bool = True) -> Console:
    """The rich console for the Env's stdout (or stderr): its stream, whether it is a terminal
    and its environment (NO_COLOR, TERM, COLUMNS) are the Env's, and so is its size when the
    terminal is one in memory (a real one is asked each time: it may be resized)."""
    stream = env.stderr if stderr else env.stdout
    terminal = env.stderr_isatty if stderr else env.stdout_isatty
    file: Any = FrameWrites(stream) if terminal and frames else stream
    size = env.fixed_size
    return Console(
        file=file,
        force_terminal=terminal,
        width=size[0] if size else None,
        height=size[1] if size else None,
        highlight=False,
        color_system=None if no_color(env) else "auto",
        _environ=env.environ,
    )
