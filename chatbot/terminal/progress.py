"""Drawing a Knowledge Graph upload: a progress bar and a status line on a terminal, plain
lines elsewhere (chatbot.inputs.uploads says what to draw)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from chatbot import outlet
from chatbot.capped import size_text
from chatbot.env import Env
from chatbot.sanitize import inline, one_line


class Candidate(Protocol):
    """A file on its way (chatbot.inputs.uploads.Candidate)."""

    path: Path
    size: int


def say(env: Env, text: str) -> None:
    """One line on stderr, as every `graphs` message is written."""
    outlet.warn(env.stderr, text, terminal=env.stderr_isatty)


class UploadProgress:
    def __init__(self, env: Env, files: int, total_bytes: int) -> None:
        self._env = env
        self._files, self._done = files, 0
        self._progress: Any = None
        self._task: Any = None
        if env.stderr_isatty and files:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            from chatbot.terminal.screen import terminal_console

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TextColumn("{task.fields[files]}"),
                console=terminal_console(env, stderr=True, frames=False),
                transient=True,
            )
            self._task = self._progress.add_task("uploading", total=total_bytes, files="")

    def __enter__(self) -> UploadProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def starting(self, candidate: Candidate) -> None:
        self._done += 1  # counted as it starts: a file the server refuses is one of them too
        if self._progress is not None:
            name = one_line(candidate.path.name, 30)
            files = f"file {self._done} of {self._files}"
            self._progress.update(self._task, description=name, files=files)

    def advance(self, sent: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=sent)

    def finished(self, candidate: Candidate) -> None:
        if self._progress is None:
            say(
                self._env,
                f"uploaded {one_line(str(candidate.path), 120)} ({size_text(candidate.size)})",
            )

    def say(self, text: str) -> None:
        if self._progress is not None:
            line = f"writer-chat: {inline(text)}"
            self._progress.console.print(line, markup=False, highlight=False)
        else:
            say(self._env, text)


class StatusLine:
    """One line redrawn in place on a terminal; on a pipe, only the first and last states."""

    def __init__(self, env: Env) -> None:
        self._env = env
        self._stderr, self._tty = env.stderr, env.stderr_isatty
        self._last = ""

    def __enter__(self) -> StatusLine:
        return self

    def show(self, text: str) -> None:
        if self._tty:
            self._stderr.write("\r\x1b[2K" + inline(text))
            self._stderr.flush()
        elif not self._last:
            say(self._env, text.split(" (")[0])
        self._last = text

    def __exit__(self, *exc: object) -> None:
        if self._tty:
            self._stderr.write("\r\x1b[2K")
            self._stderr.flush()
