"""The conversation: the system prompt and the turns, in the order the API gets them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How an assistant turn ended. Only "complete" replies are whole; the others were cut short
# and keep whatever text arrived.
COMPLETE = "complete"
LENGTH = "length"
CONTENT_FILTER = "content_filter"
INTERRUPTED = "interrupted"
FAILED = "failed"


@dataclass
class Message:
    role: str
    content: str
    status: str = COMPLETE

    def to_api(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.content}


@dataclass
class Conversation:
    system: str | None = None
    turns: list[Message] = field(default_factory=list)

    def add_user(self, text: str) -> None:
        self.turns.append(Message("user", text))

    def add_assistant(self, text: str, status: str = COMPLETE) -> None:
        self.turns.append(Message("assistant", text, status))

    def drop_last_user(self) -> None:
        """Undo ``add_user`` for a turn that failed before any reply arrived."""
        if self.turns and self.turns[-1].role == "user":
            self.turns.pop()

    def pop_exchange(self) -> str | None:
        """Remove the last user message and everything after it; return that message."""
        for index in range(len(self.turns) - 1, -1, -1):
            if self.turns[index].role == "user":
                text = self.turns[index].content
                del self.turns[index:]
                return text
        return None

    def api_messages(self) -> list[dict[str, Any]]:
        messages = [{"role": "system", "content": self.system}] if self.system else []
        messages.extend(turn.to_api() for turn in self.turns)
        return messages
