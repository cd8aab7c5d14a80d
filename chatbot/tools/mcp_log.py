"""An MCP server's stderr, kept in a log file of its own: bounded, rotated and redacted.

The server writes into a pipe, never into the file itself: a thread copies what comes through,
the API key cut out, into ``NAME.log``; past ``LOG_CAP`` bytes that file becomes ``NAME.log.1``
(the one older copy kept) and a new one starts. A server that prints forever costs at most
twice the cap on disk. Reading a log back (its last lines, for the ``--debug`` trace) reads its
end only.
"""

from __future__ import annotations

import codecs
import os
import threading
from pathlib import Path
from typing import BinaryIO, TextIO

from chatbot.redaction import Redactor

LOG_CAP = 5 * 1024 * 1024  # bytes of one log file before it is rotated
_CHUNK = 64 * 1024
_TAIL_BYTES = 16 * 1024


class ServerLog:
    """A pipe for a server's stderr (``writer``, given to the process) and the thread that
    copies it into the log file. ``started()`` once the process has its copy of the pipe."""

    def __init__(self, path: Path, redactor: Redactor, cap: int = LOG_CAP) -> None:
        self.path = path
        self.cap = cap
        self._redactor = redactor
        read_end, write_end = os.pipe()
        self._read_end = read_end
        self.writer: TextIO = os.fdopen(write_end, "w", encoding="utf-8", errors="replace")
        self._thread = threading.Thread(target=self._copy, name=f"log {path.name}", daemon=True)
        self._thread.start()

    def started(self) -> None:
        """The process holds the pipe now: the log ends when it (and what it forked) do."""
        if not self.writer.closed:
            self.writer.close()

    def close(self) -> None:
        self.started()

    def wait(self, seconds: float) -> None:
        """Wait (at most ``seconds``) for what the ended process wrote to reach the file."""
        self._thread.join(seconds)

    def _copy(self) -> None:
        cut = self._redactor.stream()
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            file = self._open()
            size = file.tell()
            while chunk := os.read(self._read_end, _CHUNK):
                text = cut.feed(decoder.decode(chunk)).encode("utf-8", "replace")
                if size + len(text) > self.cap and size > 0:
                    file.close()
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                    file, size = self._open(), 0
                file.write(text)
                file.flush()
                size += len(text)
            file.write((cut.feed(decoder.decode(b"", final=True)) + cut.flush()).encode())
            file.close()
        except OSError:
            pass  # a log that cannot be written is no reason to stop the server
        finally:
            os.close(self._read_end)

    def _open(self) -> BinaryIO:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # private from its first byte: the server's stderr may hold anything
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, "ab")


def tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a log, reading only its end."""
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - _TAIL_BYTES))
            end = file.read(_TAIL_BYTES)
    except OSError:
        return "(no log)"
    return "\n".join(end.decode("utf-8", "replace").splitlines()[-lines:])
