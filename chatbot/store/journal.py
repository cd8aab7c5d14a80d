"""Keep the history database in step with a conversation: an observer of the engine's events.

The user message is written when it is sent; a reply is written when its first text arrives,
then at most once a second while it streams, then with its final status, usage and timings.
A Journal without a store (``--no-save``) does nothing.

Saving must never stop the chat: a write that fails (disk full, database locked, read-only
directory) is reported once through ``on_problem`` and the conversation goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatbot.engine.conversation import INCOMPLETE, Message
from chatbot.engine.events import (
    Delta,
    Event,
    ReplyEnded,
    RequestSent,
    ToolAnswered,
    UserSent,
    UserWithdrawn,
)

if TYPE_CHECKING:
    from chatbot.store.database import Store

PROGRESS_INTERVAL = 1.0


def _ignore(text: str) -> None:
    pass


class Journal:
    """Writes what the events say to ``store``, as it happens."""

    def __init__(
        self,
        store: Store | None,
        conversation_id: str | None = None,
        *,
        on_problem: Callable[[str], None] = _ignore,
    ) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.on_problem = on_problem
        self._failing = False
        self._reply: _ReplyRow | None = None

    def __call__(self, event: Event) -> None:
        if self.store is None:
            return
        try:
            wrote = self._write(event)
        except Exception as problem:  # whatever saving hit, the chat goes on
            self._report(problem)
        else:
            if wrote:
                self._failing = False  # saving works again: a new failure is told again

    def _write(self, event: Event) -> bool:
        """Write what ``event`` says; whether anything was written."""
        assert self.store is not None
        if isinstance(event, UserSent):
            if self.conversation_id is None:
                self.conversation_id = self.store.new_conversation(event.model, event.system)
            return self._add(event.message)
        if isinstance(event, RequestSent):
            self._reply = _ReplyRow(event.model)
        elif isinstance(event, Delta) and self._reply is not None:
            return self._reply.progress(self.store, self.conversation_id, event)
        elif isinstance(event, ReplyEnded) and self._reply is not None:
            reply, self._reply = self._reply, None
            if event.message is not None:
                return reply.finish(
                    self.store, self.conversation_id, event.message, event.reply.usage
                )
        elif isinstance(event, UserWithdrawn):
            self.forget([event.message])
        elif isinstance(event, ToolAnswered):
            return self._add(event.message)
        return False

    def _add(self, message: Message) -> bool:
        if self.store is None or self.conversation_id is None:
            return False
        message.stored_id = self.store.add_message(
            self.conversation_id,
            message.role,
            message.content,
            message.status,
            extra=message.extra(),
        )
        return True

    def _report(self, problem: Exception) -> None:
        if not self._failing:
            self._failing = True
            self.on_problem(f"not saved to the history: {problem} (the chat goes on)")

    def forget(self, messages: list[Message]) -> None:
        """Delete messages the user removed (/undo, /retry) or that never got a reply."""
        ids = [m.stored_id for m in messages if m.stored_id is not None]
        if self.store is None or not ids:
            return
        try:
            self.store.delete_messages(ids)
        except Exception as problem:  # whatever saving hit, the chat goes on
            self._report(problem)

    def system_changed(self, system: str | None) -> None:
        if self.store is None or self.conversation_id is None:
            return
        try:
            self.store.set_system(self.conversation_id, system)
        except Exception as problem:  # whatever saving hit, the chat goes on
            self._report(problem)


class _ReplyRow:
    """One streaming reply's row: written at the first text, then at most once a second."""

    def __init__(self, model: str) -> None:
        self._model = model
        self._pieces: dict[str, list[str]] = {"content": [], "refusal": []}
        self._row: int | None = None
        self._started = time.monotonic()
        self._first_token_ms: float | None = None
        self._last_write = float("-inf")  # the first text is written at once

    def _text(self) -> str:
        return "".join(self._pieces["content"]) or "".join(self._pieces["refusal"])

    def progress(self, store: Store, conversation_id: str | None, delta: Delta) -> bool:
        self._pieces[delta.kind].append(delta.text)
        now = time.monotonic()
        if self._first_token_ms is None:
            self._first_token_ms = (now - self._started) * 1000
        if conversation_id is None or now - self._last_write < PROGRESS_INTERVAL:
            return False
        self._last_write = now  # before writing: a failing write is not retried per piece
        if self._row is None:
            self._row = store.add_message(
                conversation_id, "assistant", self._text(), INCOMPLETE, self._model
            )
        else:
            store.update_message(self._row, self._text(), INCOMPLETE)
        return True

    def finish(
        self,
        store: Store,
        conversation_id: str | None,
        message: Message,
        usage: dict[str, Any] | None,
    ) -> bool:
        if conversation_id is None:
            return False
        if self._row is None:
            self._row = store.add_message(
                conversation_id, "assistant", message.content, message.status, self._model
            )
        store.update_message(
            self._row,
            message.content,
            message.status,
            usage=usage,
            first_token_ms=self._first_token_ms,
            duration_ms=(time.monotonic() - self._started) * 1000,
            extra=message.extra(),
        )
        message.stored_id = self._row
        return True
