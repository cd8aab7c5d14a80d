"""Where writer-chat keeps its files: private to the user (0700 directories, 0600 files)."""

from __future__ import annotations

import os
from pathlib import Path

from chatbot.env import APP_NAME, Env

__all__ = ["APP_NAME", "input_history_file", "private_file", "write_private"]


def private_file(path: Path) -> Path:
    """Create ``path`` as 0600 if missing, before any library opens it with looser defaults."""
    # without blocking: a FIFO put in its place raises (ENXIO) instead of waiting for a reader
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK, 0o600)
    os.close(fd)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``path`` (replacing it) so only its owner can read it: exports and the config can
    hold anything the user pasted."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


def input_history_file(env: Env) -> Path:
    return private_file(env.data_dir() / "input_history")
