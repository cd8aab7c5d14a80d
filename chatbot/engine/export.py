"""A conversation as Markdown or JSON, for `history show`, `history export` and `/save`."""

from __future__ import annotations

import json
import time

from chatbot.engine.conversation import COMPLETE, Conversation, Message
from chatbot.errors import UsageError

FORMATS = ("md", "json")


def when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def to_markdown(title: str, model: str | None, system: str | None, turns: list[Message]) -> str:
    parts = [f"# {title or 'Conversation'}\n"]
    if model:
        parts.append(f"*Model: {model}*\n")
    if system:
        parts.append(f"**System:** {system}\n")
    for turn in turns:
        heading = "You" if turn.role == "user" else (model or "Assistant")
        note = "" if turn.status == COMPLETE else f" *({turn.status})*"
        parts.append(f"## {heading}{note}\n\n{turn.content.strip()}\n")
        if turn.ran:
            parts.append(
                f"*ran `{turn.ran.get('command')}`: exit status {turn.ran.get('status')}*\n"
            )
    return "\n".join(parts)


def to_json(
    conversation_id: str | None,
    model: str | None,
    system: str | None,
    turns: list[Message],
) -> str:
    document = {
        "id": conversation_id,
        "model": model,
        "system": system,
        "messages": [
            {
                "role": t.role,
                "content": t.content,
                "status": t.status,
                **({"ran": t.ran} if t.ran else {}),
            }
            for t in turns
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render(
    fmt: str,
    conversation_id: str | None,
    model: str | None,
    conversation: Conversation,
    title: str = "",
) -> str:
    if fmt == "md":
        return to_markdown(title, model, conversation.system, conversation.turns)
    if fmt == "json":
        return to_json(conversation_id, model, conversation.system, conversation.turns)
    raise UsageError(f"unknown format '{fmt}': use md or json")


def _message(turn: Message) -> dict[str, object]:
    message: dict[str, object] = {"role": turn.role, "content": turn.content, "status": turn.status}
    if turn.ran:
        message["ran"] = turn.ran  # the shell assistant: the command run and its exit status
    return message
