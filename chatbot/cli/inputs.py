"""What one-shot mode sends: the prompt argument, piped stdin, or both."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from chatbot.engine.attachments import fenced
from chatbot.errors import UsageError

DEFAULT_MAX_INPUT = 8 * 1024 * 1024


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
    try:
        with path.open("rb") as stream:
            text = read_limited(stream, max_bytes=max_bytes, encoding=encoding, what=str(path))
    except OSError as problem:
        raise UsageError(f"cannot read {path}: {problem.strerror}") from None
    return fenced(path.name, text)


def read_limited(stream: BinaryIO, *, max_bytes: int, encoding: str, what: str = "stdin") -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"unknown encoding '{encoding}' (see --encoding)") from None
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UsageError(
            f"{what} is larger than {_size(max_bytes)}; nothing was sent (see --max-input)"
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{what} is not {encoding} text (invalid byte at offset {error.start}); "
            "use --encoding to name its encoding"
        ) from None


def _size(count: int) -> str:
    if count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MB"
    return f"{count} bytes"
