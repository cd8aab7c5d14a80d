"""The door: every byte that comes into writer-chat from outside, except the API's stream.

Files (``-f``, ``/file``, folders, ``--json-schema``, images, config and templates), piped
stdin, and the output of commands (``/run``, ``api_key_command``) are read here and only here,
each the same way:

- a size cap enforced while reading, never after: ``/dev/zero`` costs one chunk past the cap;
- only regular files where a file is expected: a FIFO, a device or a socket is refused at
  once (opened without blocking, checked before a byte is read);
- a deadline for commands, and Ctrl-C that stops the read (the command is killed) and is
  raised to the caller, which cancels that one action, never the chat;
- the API key never handed on: a command runs without it in its environment, and any key this
  run knows is cut out of what it printed.

Web pages come through chatbot.api.web, which caps them the same way while they arrive.
"""

from __future__ import annotations

import os
import selectors
import stat
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from chatbot import debug
from chatbot.env import KEY_VARIABLE
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


def _capped(read: BinaryIO | int, cap: int, what: str, hint: str) -> bytes:
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
            return _capped(file, cap, what, hint)
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


_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def binary_kind(data: bytes) -> str | None:
    """ "an image" or "a binary file" when ``data`` is not text to send (a NUL byte in its
    first 8 KB, as git decides), else None."""
    if data.startswith(_IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "an image"
    return "a binary file" if b"\0" in data[:8192] else None


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


def read_stream(stream: BinaryIO, *, cap: int, what: str = "stdin", hint: str = "") -> bytes:
    """What a pipe holds (stdin), at most ``cap`` bytes."""
    return _capped(stream, cap, what, hint)


@dataclass(frozen=True)
class Ran:
    output: bytes  # stdout (and stderr, as a terminal shows them, unless kept apart)
    status: int  # the exit status (negative: the signal that ended it)
    cut: bool  # more was printed than the cap: the command was stopped there
    errors: bytes = b""  # stderr, when kept apart from the output
    key_cut: bool = False  # the API key was in what it printed, and was cut out


def without_key(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for a command: the run's, less the API key."""
    return {k: v for k, v in environ.items() if k != KEY_VARIABLE}


def run_command(
    argv: list[str] | str,
    *,
    environ: Mapping[str, str],
    cwd: str,
    cap: int,
    seconds: float,
    what: str,
    shell: bool = False,
    key_source: bool = False,
    apart: bool = False,
) -> Ran:
    """Run a command without a terminal (stdin from /dev/null) and read what it prints, at most
    ``cap`` bytes and ``seconds`` long; past the cap it is stopped and the output marked cut.
    Past the deadline, or on Ctrl-C, it is killed (Refused, or KeyboardInterrupt raised).
    ``key_source``: the command prints the key (api_key_command): what it prints is left
    whole, and it runs only when no key was found, so it has none to see.
    ``apart``: stderr is kept apart from the output (and capped the same)."""
    try:
        process = subprocess.Popen(
            argv,
            shell=shell,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if apart else subprocess.STDOUT,
            env=without_key(environ),
            cwd=cwd,
            start_new_session=True,  # Ctrl-C reaches writer-chat, which ends the command
        )
    except FileNotFoundError:
        name = argv if isinstance(argv, str) else argv[0]
        raise Refused(f"{what}: no such program: {name}") from None
    except OSError as problem:
        raise Refused(f"{what}: cannot run it: {problem.strerror or problem}") from None
    pipes = [pipe for pipe in (process.stdout, process.stderr) if pipe is not None]
    read: dict[int, list[bytes]] = {pipe.fileno(): [] for pipe in pipes}
    total, cut, done, left_running = 0, False, False, False
    deadline = time.monotonic() + seconds
    try:
        with selectors.DefaultSelector() as selector:
            for pipe in pipes:
                selector.register(pipe, selectors.EVENT_READ)
            while selector.get_map() and not cut:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Refused(f"{what} ran longer than {seconds:g} s and was stopped")
                ready = selector.select(min(left, 0.25))
                if not ready and process.poll() is not None:
                    left_running = True  # it ended; something it started holds a pipe open
                    break
                for key, _ in ready:
                    chunk = os.read(key.fd, CHUNK)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    read[key.fd].append(chunk[: max(cap - total, 0)])
                    total += len(chunk)
                    cut = total > cap
        if not (cut or left_running):  # every pipe closed: the command is ending
            process.wait(max(deadline - time.monotonic(), 0.1))
            done = True
    except subprocess.TimeoutExpired:
        raise Refused(f"{what} ran longer than {seconds:g} s and was stopped") from None
    finally:
        if not done:
            _stop(process)  # cut, out of time, or Ctrl-C: it and what it started end now
        for pipe in pipes:
            pipe.close()
    status = process.wait()
    chunks = [b"".join(part) for part in read.values()]
    output, errors = chunks[0], chunks[1] if len(chunks) > 1 else b""
    if key_source:
        return Ran(output, status, cut, errors)
    clean, clean_errors = redacted(output), redacted(errors)
    return Ran(clean, status, cut, clean_errors, (clean, clean_errors) != (output, errors))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the command and everything it started (its own session)."""
    try:
        os.killpg(process.pid, 9)
    except (OSError, AttributeError):
        process.kill()
    process.wait()


def redacted(output: bytes) -> bytes:
    """Every secret this run knows (the API key) cut out of what came in."""
    text = output.decode("utf-8", "surrogateescape")
    clean = debug.redact_secrets(text)
    return output if clean == text else clean.encode("utf-8", "surrogateescape")
