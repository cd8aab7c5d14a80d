"""What could not be saved before the program ended (the history locked by another process
past the last wait): kept in a private JSON file beside the database, and written into the
history at the next start. Nothing the user typed or the model said is lost to a lock.

A spool file holds conversations, each with its history id (None: not saved yet) and the
messages still to write, with their row id when a row exists to be rewritten.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PATTERN = "unsaved-*.json"


def writer_pid(path: Path) -> int | None:
    """The process that wrote a spool file, from its name (``unsaved-TIME-PID.json``)."""
    pid = path.stem.rsplit("-", 1)[-1]
    return int(pid) if pid.isdigit() else None


def write_spool(
    folder: Path, conversations: list[dict[str, Any]], clean: Callable[[str], str]
) -> Path:
    """Keep ``conversations`` (see the module's docstring) in a new file in ``folder``, every
    text passed through ``clean`` (the run's redactor, as for the database)."""
    path = folder / f"unsaved-{int(time.time())}-{os.getpid()}.json"
    rewrite_spool(path, conversations, clean)
    return path


def rewrite_spool(
    path: Path, conversations: list[dict[str, Any]], clean: Callable[[str], str]
) -> None:
    text = clean(json.dumps({"conversations": conversations}, ensure_ascii=False))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private, as the history
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
