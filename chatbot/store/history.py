"""Saved conversations: loading one to continue it, and the `writer-chat history` commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chatbot.engine.conversation import Conversation, Message
from chatbot.engine.export import render, when
from chatbot.engine.prices import Spend, dollars
from chatbot.sanitize import one_line
from chatbot.words import counted

if TYPE_CHECKING:
    from chatbot.store.database import ConversationInfo, Store


def load_conversation(
    store: Store, conversation_id: str, *, every: bool = False
) -> tuple[Conversation, ConversationInfo]:
    """The conversation as it stands; ``every``: with what was set aside in place, its status
    saying why (``set aside: undone``), to read, not to go on with."""
    info = store.info(conversation_id)
    turns = [
        Message(
            m.role,
            m.content,
            f"set aside: {m.set_aside}" if m.set_aside else m.status,
            m.id,
            **(m.extra or {}),
        )
        for m in store.messages(info.id, every=every)
    ]
    return Conversation(system=info.system, turns=turns, stored_id=info.id), info


def listing(
    conversations: list[ConversationInfo], costs: dict[str, str] | None = None
) -> list[str]:
    """One line a conversation: short id, last used, model, turns, (cost,) title."""
    lines = []
    for c in conversations:
        turns = f"{c.turns:>3} {'turn ' if c.turns == 1 else 'turns'}"
        model = f"{one_line(c.model or '-', 16):<16}"
        cost = f"{costs.get(c.id, '$0'):>9}  " if costs is not None else ""
        lines.append(
            f"{c.id[:8]}  {when(c.updated_at)}  {model} {turns}  {cost}{one_line(c.title, 60)}"
            + (f"  ({origin(c)})" if c.forked_from else "")
        )
    return lines


def origin(info: ConversationInfo) -> str:
    """ "forked from 3f2a1b2c at exchange 2", or from a removed conversation."""
    at = f" at exchange {info.forked_at}" if info.forked_at else ""
    if info.parent_removed:
        return f"forked from a removed conversation{at}"
    return f"forked from {str(info.forked_from)[:8]}{at}"


def branches_said(store: Store, info: ConversationInfo) -> list[str]:
    """Where ``info`` came from, and what branched off it, one line each."""
    lines = [origin(info)] if info.forked_from else []
    for branch, at in store.branches(info.id):
        lines.append(f"branched off: {branch[:8]}" + (f" at exchange {at}" if at else ""))
    return lines


def costs(
    store: Store, cids: list[str], prices: Mapping[str, tuple[float, float]]
) -> dict[str, Spend]:
    """Each conversation's tokens in and out and their cost (``dollars`` None: a model without
    a price; ``estimated``: a reply cut short is counted by estimate)."""
    totals: dict[str, Spend] = {}
    for cid, replies in store.token_counts(cids).items():
        spend = totals[cid] = Spend(prices)
        for model, usage in replies:
            spend.record(model, usage)
    return totals


def cost_line(spend: Spend | None) -> str:
    """``1,234 tokens in, 56 out: $0.0042`` (``~`` before each figure an estimate is in)."""
    if spend is None:
        return f"0 tokens in, 0 out: {dollars(0.0)}"
    about = "~" if spend.estimated else ""
    return (
        f"{about}{counted(spend.prompt, 'token')} in, {about}{spend.completion:,} out:"
        f" {spend.said()}"
    )


def show(store: Store, prefix: str, fmt: str = "md", *, every: bool = False) -> str:
    conversation, info = load_conversation(store, store.resolve(prefix), every=every)
    return render(fmt, info.id, info.model, conversation, title=info.title)


def set_aside_said(store: Store, cid: str) -> str | None:
    """ "2 exchanges set aside (…--all shows them)", or None when none is."""
    count = store.set_aside_exchanges(cid)
    if not count:
        return None
    return (
        f"{counted(count, 'exchange')} set aside (undone, replaced, edited away or unanswered):"
        f" writer-chat history show {cid[:8]} --all shows them in place"
    )


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
