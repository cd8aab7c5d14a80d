"""Reading what comes from outside with a cap enforced while reading, never after, and only
from regular files where a file is expected (a FIFO, a device or a socket is refused before a
byte is read). chatbot.inputs.door builds on these for everything the user hands in; the
store's spool replay uses them too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from chatbot.errors import UsageError

CHUNK = 64 * 1024


class Refused(UsageError):
    """What came in cannot be taken (too large, not a regular file, unreadable): one line."""


def size_text(count: int) -> str:
    """A size as a person reads it: 8 MB, 512 KB, 300 bytes."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= scale:
            number = count / scale
            return f"{number:.0f} {unit}" if number == int(number) else f"{number:.1f} {unit}"
    return f"{count} bytes"


def capped(read: BinaryIO | int, cap: int, what: str, hint: str) -> bytes:
    """Read until the end or one byte past ``cap`` (then refuse), a chunk at a time, so a
    Ctrl-C lands between chunks."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(read, CHUNK) if isinstance(read, int) else read.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise Refused(f"{what} is larger than {size_text(cap)}; nothing was sent{hint}")
        chunks.append(chunk)


def open_file(path: Path, what: str | None = None) -> tuple[BinaryIO, int]:
    """The regular file at ``path``, open for reading, and its size. Opened without blocking
    and checked before a byte is read, so a FIFO or a device is refused at once."""
    what = what or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise Refused(f"{what}: no such file") from None
    except IsADirectoryError:
        raise Refused(f"{what} is a folder, not a file") from None
    except OSError as problem:
        raise Refused(f"cannot read {what}: {problem.strerror or problem}") from None
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise Refused(f"{what} is a folder, not a file")
        if not stat.S_ISREG(status.st_mode):
            kind = _kind(status.st_mode)
            raise Refused(f"{what} is not a regular file ({kind}); nothing was read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), status.st_size
    except OSError as problem:
        os.close(fd)
        raise Refused(f"cannot read {what}: {problem.strerror or problem}") from None
    except BaseException:
        os.close(fd)
        raise


def read_file(path: Path, *, cap: int, what: str | None = None, hint: str = "") -> bytes:
    """The bytes of the regular file at ``path``, at most ``cap`` of them."""
    what = what or str(path)
    file, _ = open_file(path, what)
    with file:
        try:
            return capped(file, cap, what, hint)
        except OSError as problem:
            raise Refused(f"cannot read {what}: {problem.strerror or problem}") from None


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (a symlink is followed): what a folder walk takes."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def decode(data: bytes, encoding: str, what: str, hint: str = "") -> str:
    """``data`` as text, or one line naming the first byte that is not ``encoding``."""
    try:
        return data.decode(encoding)
    except LookupError:
        raise Refused(f"unknown encoding '{encoding}' (see --encoding)") from None
    except UnicodeDecodeError as error:
        raise Refused(
            f"{what} is not {encoding} text (invalid byte at offset {error.start}){hint}"
        ) from None


def read_text(path: Path, *, cap: int, encoding: str = "utf-8", what: str | None = None) -> str:
    what = what or str(path)
    return decode(read_file(path, cap=cap, what=what), encoding, what)


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """``text`` (a config file or a template) parsed; a mistake is one line naming the file
    and line."""
    import tomllib  # here: most runs have no config file

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise UsageError(f"{path}: {problem}") from None
