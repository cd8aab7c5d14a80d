"""The one way out for text written to a stream: the key cut out (chatbot.redaction) and, on
a terminal, every control character made visible (chatbot.sanitize), so nothing that came from
outside (a file name, a config value, a server's or the model's words) can move the cursor,
set the title or write the clipboard.

Replies are drawn by the renderers (chatbot.terminal.render and .plain), which apply the same
two filters a piece at a time; everything else that writes to stdout or stderr comes here.
tests/test_way_out_rule.py keeps it so.
"""

from __future__ import annotations

from typing import TextIO

from chatbot import debug, sanitize

PROG = "writer-chat"


def shown(text: str, terminal: bool) -> str:
    """``text`` as it may leave: the key cut out; on a terminal, controls made visible."""
    text = debug.redact_secrets(text)
    return sanitize.visible(text) if terminal else text


def write(stream: TextIO, text: str, *, terminal: bool) -> None:
    """Write ``text`` to ``stream`` (stdout or stderr) as it may leave, and flush."""
    stream.write(shown(text, terminal))
    stream.flush()


def warn(stream: TextIO, message: str, *, terminal: bool) -> None:
    """One line on stderr, ``writer-chat: MESSAGE``: whatever the message holds (a line break,
    an escape), it stays one line."""
    write(stream, f"{PROG}: {sanitize.inline(message)}\n", terminal=terminal)
