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
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from chatbot import debug, processes
from chatbot.capped import (  # the reads themselves, shared with the store's spool
    CHUNK,
    Refused,
    capped,
    decode,
    is_regular_file,
    open_file,
    parse_toml,
    read_file,
    read_text,
    size_text,
)

__all__ = [
    "CHUNK",
    "Refused",
    "decode",
    "is_regular_file",
    "open_file",
    "parse_toml",
    "read_file",
    "read_text",
    "size_text",
]
STOP_GRACE = 0.5  # seconds a stopped command has to end after TERM before KILL


_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


def binary_kind(data: bytes) -> str | None:
    """ "an image" or "a binary file" when ``data`` is not text to send (a NUL byte in its
    first 8 KB, as git decides), else None."""
    if data.startswith(_IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "an image"
    return "a binary file" if b"\0" in data[:8192] else None


def read_stream(stream: BinaryIO, *, cap: int, what: str = "stdin", hint: str = "") -> bytes:
    """What a pipe holds (stdin), at most ``cap`` bytes."""
    return capped(stream, cap, what, hint)


@dataclass(frozen=True)
class Ran:
    output: bytes  # stdout (and stderr, as a terminal shows them, unless kept apart)
    status: int  # the exit status (negative: the signal that ended it)
    cut: bool  # more was printed than the cap: the command was stopped there
    errors: bytes = b""  # stderr, when kept apart from the output
    key_cut: bool = False  # the API key was in what it printed, and was cut out


def run_command(
    argv: list[str] | str,
    *,
    environ: Mapping[str, str],
    cwd: str | None,
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
        process = processes.start(
            argv,
            environ=environ,
            cwd=cwd,
            what=what,
            shell=shell,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if apart else subprocess.STDOUT,
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
        # cut, out of time or Ctrl-C: it ends now; in any case what it left running ends too
        processes.end(process, grace=0 if done else STOP_GRACE)
        for pipe in pipes:
            pipe.close()
    status = process.wait()
    chunks = [b"".join(part) for part in read.values()]
    output, errors = chunks[0], chunks[1] if len(chunks) > 1 else b""
    if key_source:
        return Ran(output, status, cut, errors)
    clean, clean_errors = redacted(output), redacted(errors)
    return Ran(clean, status, cut, clean_errors, (clean, clean_errors) != (output, errors))


def redacted(output: bytes) -> bytes:
    """Every secret this run knows (the API key) cut out of what came in."""
    text = output.decode("utf-8", "surrogateescape")
    clean = debug.redact_secrets(text)
    return output if clean == text else clean.encode("utf-8", "surrogateescape")
