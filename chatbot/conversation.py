"""The conversation: the system prompt and the turns, in the order the API gets them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How an assistant turn ended. Only "complete" replies are whole; the others were cut short
# and keep whatever text arrived. INCOMPLETE is what a reply is while it streams, and what it
# stays if the process dies before the reply ends.
COMPLETE = "complete"
LENGTH = "length"
CONTENT_FILTER = "content_filter"
INTERRUPTED = "interrupted"
FAILED = "failed"
INCOMPLETE = "incomplete"


@dataclass
class Message:
    role: str
    content: str
    status: str = COMPLETE
    stored_id: int | None = None  # its row in the history database, when saved

    def to_api(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.content}


@dataclass
class Conversation:
    system: str | None = None
    turns: list[Message] = field(default_factory=list)

    def add_user(self, text: str) -> Message:
        message = Message("user", text)
        self.turns.append(message)
        return message

    def add_assistant(self, text: str, status: str = COMPLETE) -> Message:
        message = Message("assistant", text, status)
        self.turns.append(message)
        return message

    def drop_last_user(self) -> Message | None:
        """Undo ``add_user`` for a turn that failed before any reply arrived."""
        if self.turns and self.turns[-1].role == "user":
            return self.turns.pop()
        return None

    def pop_exchange(self) -> list[Message]:
        """Remove the last user message and everything after it; return what was removed."""
        for index in range(len(self.turns) - 1, -1, -1):
            if self.turns[index].role == "user":
                removed = self.turns[index:]
                del self.turns[index:]
                return removed
        return []

    def api_messages(self) -> list[dict[str, Any]]:
        messages = [{"role": "system", "content": self.system}] if self.system else []
        messages.extend(turn.to_api() for turn in self.turns)
        return messages
