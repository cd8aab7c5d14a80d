"""The spool files (chatbot.store.spool) written into the history at the next start, each on
its own: one that cannot be read (not a regular file, larger than ``SPOOL_LIMIT``, not a
spool) is left where it is, for a person to look at, and the others are replayed all the
same."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatbot import processes
from chatbot.capped import read_file
from chatbot.errors import UsageError
from chatbot.store.spool import PATTERN, rewrite_spool, writer_pid

if TYPE_CHECKING:
    from chatbot.store.database import Store

SPOOL_LIMIT = 64 * 1024 * 1024  # bytes of one spool file: more is not one of ours


def replay_spools(store: Store, folder: Path) -> int:
    """Write every spool file in ``folder`` into ``store`` and remove it; how many messages
    were written. Each file on its own: one that cannot be read (not a regular file, larger
    than ``SPOOL_LIMIT``, not a spool) is left where it is, for a person to look at, and the
    others are replayed all the same. A file keeps what is not written yet, so a replay cut
    short is taken up again without writing anything twice."""
    written = 0
    for path in sorted(folder.glob(PATTERN)):
        if _kept_by_a_running_process(path):
            continue  # it writes the history itself once it can, and removes the file
        try:
            data = read_file(path, cap=SPOOL_LIMIT)
            conversations = json.loads(data.decode("utf-8"))["conversations"]
            if not isinstance(conversations, list):
                continue
            while conversations:
                written += _replay(store, conversations[0])
                conversations.pop(0)
                if conversations:
                    rewrite_spool(path, conversations, store.clean)
                else:
                    path.unlink()
        except (OSError, UsageError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return written


def _kept_by_a_running_process(path: Path) -> bool:
    """Whether the writer-chat that keeps ``path`` still runs (it folds the file in itself)."""
    pid = writer_pid(path)
    return pid is not None and pid != os.getpid() and processes.alive(pid)


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
        if isinstance(message.get("set_aside"), str):
            store.set_aside([row], message["set_aside"])
    return len(conversation["messages"])
