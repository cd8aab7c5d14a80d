"""The conversation: the system prompt and the turns, in the order the API gets them."""

from __future__ import annotations

import dataclasses
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
CUT_SHORT = (INTERRUPTED, FAILED, INCOMPLETE)
# Why a message left its conversation; the history keeps it, set aside and marked so.
UNDONE, REPLACED, EDITED, NO_REPLY = (
    "undone",
    "replaced",
    "edited away",
    "no reply",
)  # what broke off (LENGTH is the model's own end)
CUT_OFF_MARK = "\n\n[this reply was cut off here: it did not finish]"


@dataclass(slots=True)  # one per turn for the whole session: no per-instance __dict__
class Message:
    role: str
    content: str
    status: str = COMPLETE
    stored_id: int | None = None  # its row in the history database, when saved
    tool_calls: list[dict[str, Any]] | None = None  # an assistant's calls of our functions
    tool_call_id: str | None = None  # a tool message answers this call
    name: str | None = None  # the function a tool message comes from
    parts: list[dict[str, Any]] | None = None  # content parts (text and images) for the API
    ran: dict[str, Any] | None = None  # the shell assistant: the command run, its exit status

    def to_api(self) -> dict[str, Any]:
        """The message as the API takes it. A reply that broke off (Ctrl-C, a dropped
        connection, a timeout) goes back marked as cut off, never as if it were whole."""
        content: Any = self.parts or self.content
        if self.role == "assistant" and self.status in CUT_SHORT:
            content = self.content + CUT_OFF_MARK
        message: dict[str, Any] = {"role": self.role, "content": content}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        if self.tool_call_id:
            message["tool_call_id"] = self.tool_call_id
        if self.name:
            message["name"] = self.name
        return message

    def extra(self) -> dict[str, Any]:
        """What the history database keeps beside the text (tool calls and answers)."""
        fields = {
            "tool_calls": self.tool_calls,
            "tool_call_id": self.tool_call_id,
            "name": self.name,
            "ran": self.ran,
        }
        return {key: value for key, value in fields.items() if value}


@dataclass
class Conversation:
    system: str | None = None
    turns: list[Message] = field(default_factory=list)
    stored_id: str | None = None  # its id in the history database, when saved
    title: str | None = None  # given with /title (None: the history titles it by its first line)

    def branch(self, exchanges: int | None = None) -> Conversation:
        """A copy to go on in, not saved yet: the same system prompt and messages, up to the
        end of exchange ``exchanges`` (all: None)."""
        kept = self.turns[: self.end_of_exchange(exchanges)]
        return Conversation(self.system, [dataclasses.replace(t, stored_id=None) for t in kept])

    def exchanges(self) -> int:
        return sum(1 for turn in self.turns if turn.role == "user")

    def end_of_exchange(self, number: int | None) -> int:
        """How many turns exchanges 1..``number`` hold (all turns: None)."""
        if number is None:
            return len(self.turns)
        starts = [i for i, turn in enumerate(self.turns) if turn.role == "user"]
        return starts[number] if number < len(starts) else len(self.turns)

    def add_user(self, text: str, parts: list[dict[str, Any]] | None = None) -> Message:
        message = Message("user", text, parts=parts)
        self.turns.append(message)
        return message

    def add_assistant(
        self, text: str, status: str = COMPLETE, tool_calls: list[dict[str, Any]] | None = None
    ) -> Message:
        message = Message("assistant", text, status, tool_calls=tool_calls)
        self.turns.append(message)
        return message

    def add_tool_result(self, call_id: str, name: str, result: str) -> Message:
        message = Message("tool", result, tool_call_id=call_id, name=name)
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


def with_images(
    text: str, images: list[dict[str, Any]] | tuple[dict[str, Any], ...]
) -> list[dict[str, Any]] | None:
    """The content parts of a message with images, or None when there are none."""
    return [{"type": "text", "text": text}, *images] if images else None
