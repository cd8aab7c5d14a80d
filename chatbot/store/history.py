"""Saved conversations: loading one to continue it, and the `writer-chat history` commands."""

from __future__ import annotations

from chatbot.engine.conversation import Conversation, Message
from chatbot.engine.export import render, when
from chatbot.sanitize import one_line
from chatbot.store.database import ConversationInfo, Store


def load_conversation(store: Store, conversation_id: str) -> tuple[Conversation, ConversationInfo]:
    info = store.info(conversation_id)
    turns = [
        Message(m.role, m.content, m.status, m.id, **(m.extra or {}))
        for m in store.messages(info.id)
    ]
    return Conversation(system=info.system, turns=turns), info


def listing(conversations: list[ConversationInfo]) -> list[str]:
    """One line a conversation: short id, last used, model, turns, title."""
    lines = []
    for c in conversations:
        turns = f"{c.turns:>3} {'turn ' if c.turns == 1 else 'turns'}"
        model = f"{(c.model or '-'):<16}"
        lines.append(f"{c.id[:8]}  {when(c.updated_at)}  {model} {turns}  {one_line(c.title, 60)}")
    return lines


def show(store: Store, prefix: str, fmt: str = "md") -> str:
    conversation, info = load_conversation(store, store.resolve(prefix))
    return render(fmt, info.id, info.model, conversation, title=info.title)


def since_timestamp(text: str | None) -> float | None:
    """``--since``: a date (YYYY-MM-DD, local time) or a number of days ago (``7d``)."""
    if text is None:
        return None
    import time

    from chatbot.errors import UsageError

    if text.endswith("d") and text[:-1].isdigit():
        return time.time() - int(text[:-1]) * 86_400
    try:
        return time.mktime(time.strptime(text, "%Y-%m-%d"))
    except ValueError:
        raise UsageError(f"--since {text}: give a date (2026-11-30) or days ago (7d)") from None
