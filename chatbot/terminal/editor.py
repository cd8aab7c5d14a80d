"""Write a long message in the user's own editor ($VISUAL, then $EDITOR, then vi)."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from chatbot import processes
from chatbot.capped import read_text
from chatbot.env import Env
from chatbot.errors import UsageError

EDITED_LIMIT = 16 * 1024 * 1024  # bytes of text read back from the editor's file


def editor_command(env: Env) -> list[str]:
    return shlex.split(env.get("VISUAL") or env.get("EDITOR") or "vi")


def edit_file(path: Path, env: Env) -> None:
    """Open the editor on a file where it is (a template, kept after)."""
    command = editor_command(env)
    try:
        editor = processes.start(
            [*command, str(path)], environ=env.environ, cwd=env.cwd, what="the editor",
            foreground=True,
        )  # fmt: skip
    except FileNotFoundError:
        raise UsageError(f"editor not found: {command[0]} (set VISUAL or EDITOR)") from None
    except OSError as problem:
        raise UsageError(f"cannot run the editor: {problem.strerror or problem}") from None
    status = editor.wait()
    if status != 0:
        raise UsageError(f"the editor exited with status {status}")


def edit_text(initial: str, env: Env) -> str:
    """Open the editor on ``initial``; return what was saved (the file is removed after)."""
    fd, name = tempfile.mkstemp(prefix="writer-chat-", suffix=".md")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(initial)
        edit_file(path, env)
        return read_text(path, cap=EDITED_LIMIT, what="the edited text")
    finally:
        path.unlink(missing_ok=True)
