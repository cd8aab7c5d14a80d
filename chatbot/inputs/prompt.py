"""What one-shot mode sends: the prompt argument, piped stdin, or both."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from chatbot.engine.attachments import fenced
from chatbot.errors import UsageError
from chatbot.inputs import door

ENCODING_HINT = "; use --encoding to name its encoding"


def one_shot_message(
    argument: str,
    stdin: TextIO | None,
    *,
    max_bytes: int,
    encoding: str,
    files: Sequence[Path] = (),
) -> str | None:
    """The message for one-shot mode, or None for the REPL (a terminal, no prompt, no files).
    ``stdin``: what was piped in, None when stdin is a terminal (or there is none).

    Piped text and files follow the argument, each after a blank line, the way
    ``cat notes.md | writer-chat "summarise this"`` reads; a file comes under its name.
    """
    parts = [argument] if argument.strip() else []
    parts += [_file_part(path, max_bytes=max_bytes, encoding=encoding) for path in files]
    if stdin is not None:
        piped = read_limited(stdin.buffer, max_bytes=max_bytes, encoding=encoding)
        piped = piped.removesuffix("\n").removesuffix("\r")  # echo's newline is not the prompt's
        if piped.strip():
            parts.append(piped)
        elif not parts:
            raise UsageError("nothing to send: give a prompt or pipe some text on stdin")
    return "\n\n".join(parts) if parts else None


def _file_part(path: Path, *, max_bytes: int, encoding: str) -> str:
    _known_encoding(encoding)
    data = door.read_file(path, cap=max_bytes, hint=" (see --max-input)")
    _text_only(data, str(path))
    return fenced(path.name, door.decode(data, encoding, str(path), ENCODING_HINT))


def _text_only(data: bytes, what: str) -> None:
    kind = door.binary_kind(data)
    if kind == "an image":
        raise UsageError(f"{what} is an image, not text: attach it with --image (palmyra-x5)")
    if kind is not None:
        raise UsageError(f"{what} is a binary file, not text: nothing was sent")


def read_limited(stream: BinaryIO, *, max_bytes: int, encoding: str, what: str = "stdin") -> str:
    """Piped input, at most ``max_bytes`` (--max-input), as ``encoding`` text."""
    _known_encoding(encoding)
    data = door.read_stream(stream, cap=max_bytes, what=what, hint=" (see --max-input)")
    _text_only(data, what)
    return door.decode(data, encoding, what, ENCODING_HINT)


def _known_encoding(encoding: str) -> None:
    """Refuse an unknown --encoding before a byte is read."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"unknown encoding '{encoding}' (see --encoding)") from None
