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
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatbot.store.database import Store

PATTERN = "unsaved-*.json"


def write_spool(folder: Path, conversations: list[dict[str, Any]]) -> Path:
    """Keep ``conversations`` (see the module's docstring) in a new file in ``folder``."""
    path = folder / f"unsaved-{int(time.time())}-{os.getpid()}.json"
    _write(path, conversations)
    return path


def _write(path: Path, conversations: list[dict[str, Any]]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private, as the history
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump({"conversations": conversations}, file, ensure_ascii=False)


def replay_spools(store: Store, folder: Path) -> int:
    """Write every spool file in ``folder`` into ``store`` and remove it; how many messages
    were written. A file that cannot be read is left where it is, for a person to look at."""
    written = 0
    for path in sorted(folder.glob(PATTERN)):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            conversations = document["conversations"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        while conversations:  # the file keeps what is not written yet, should this stop
            written += _replay(store, conversations[0])
            conversations.pop(0)
            if conversations:
                _write(path, conversations)
            else:
                path.unlink()
    return written


def _replay(store: Store, conversation: dict[str, Any]) -> int:
    cid = conversation.get("id")
    if cid is None or not store.exists(cid):
        cid = store.new_conversation(conversation.get("model") or "", conversation.get("system"))
    for message in conversation["messages"]:
        row = message.get("row")
        if row is None or not store.has_message(row):
            row = store.add_message(
                cid,
                message["role"],
                message["content"],
                message["status"],
                message.get("model") or "",
                extra=message.get("extra"),
            )
        store.update_message(
            row,
            message["content"],
            message["status"],
            usage=message.get("usage"),
            first_token_ms=message.get("first_token_ms"),
            duration_ms=message.get("duration_ms"),
            extra=message.get("extra"),
        )
    return len(conversation["messages"])
