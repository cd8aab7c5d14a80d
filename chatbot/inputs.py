"""What one-shot mode sends: the prompt argument, piped stdin, or both."""

from __future__ import annotations

import codecs
from typing import BinaryIO, TextIO

from chatbot.errors import UsageError

DEFAULT_MAX_INPUT = 8 * 1024 * 1024


def one_shot_message(
    argument: str, stdin: TextIO | None, *, max_bytes: int, encoding: str
) -> str | None:
    """The message for one-shot mode, or None for the REPL (a terminal and no prompt).

    Piped text follows the argument after a blank line, the way ``cat notes.md | writer-chat
    "summarise this"`` reads.
    """
    if stdin is None or stdin.isatty():
        return argument or None
    piped = read_limited(stdin.buffer, max_bytes=max_bytes, encoding=encoding)
    message = f"{argument}\n\n{piped}" if argument and piped.strip() else argument or piped
    if not message.strip():
        raise UsageError("nothing to send: give a prompt or pipe some text on stdin")
    return message


def read_limited(stream: BinaryIO, *, max_bytes: int, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"unknown encoding '{encoding}' (see --encoding)") from None
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UsageError(
            f"stdin is larger than {_size(max_bytes)}; nothing was sent (see --max-input)"
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UsageError(
            f"stdin is not {encoding} text (invalid byte at offset {error.start}); "
            "use --encoding to name its encoding"
        ) from None


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MB"
    return f"{count} bytes"
