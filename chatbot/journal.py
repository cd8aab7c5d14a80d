"""Keep the history database in step with one conversation, as it happens.

The user message is written when it is sent; a reply is written when its first text arrives,
then at most once a second while it streams, then with its final status, usage and timings.
A Journal without a store (``--no-save``) does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatbot.conversation import INCOMPLETE, Conversation, Message

if TYPE_CHECKING:
    from chatbot.store import Store  # sqlite3 loads only when history is saved

PROGRESS_INTERVAL = 1.0


class Journal:
    def __init__(self, store: Store | None, conversation_id: str | None = None) -> None:
        self.store = store
        self.conversation_id = conversation_id

    def user_sent(self, conversation: Conversation, message: Message, model: str) -> None:
        if self.store is None:
            return
        if self.conversation_id is None:
            self.conversation_id = self.store.new_conversation(model, conversation.system)
        message.stored_id = self.store.add_message(
            self.conversation_id, "user", message.content, message.status
        )

    def tool_result(self, message: Message) -> None:
        if self.store is not None and self.conversation_id is not None:
            message.stored_id = self.store.add_message(
                self.conversation_id,
                "tool",
                message.content,
                message.status,
                extra=message.extra(),
            )

    def reply(self, model: str) -> ReplyWriter:
        return ReplyWriter(self.store, self.conversation_id, model)

    def forget(self, messages: list[Message]) -> None:
        """Delete messages the user removed (/undo, /retry) or that never got a reply."""
        ids = [m.stored_id for m in messages if m.stored_id is not None]
        if self.store is not None and ids:
            self.store.delete_messages(ids)

    def system_changed(self, system: str | None) -> None:
        if self.store is not None and self.conversation_id is not None:
            self.store.set_system(self.conversation_id, system)


class ReplyWriter:
    """Writes one streaming reply: first text, progress at most once a second, the end."""

    def __init__(self, store: Store | None, conversation_id: str | None, model: str) -> None:
        self._store = store
        self._conversation_id = conversation_id
        self._model = model
        self._row: int | None = None
        self._started = time.monotonic()
        self._first_token_ms: float | None = None
        self._last_write = 0.0

    def progress(self, text: Callable[[], str]) -> None:
        """A piece arrived; ``text()`` gives the reply so far (only called when writing)."""
        if self._first_token_ms is None:
            self._first_token_ms = (time.monotonic() - self._started) * 1000
        if self._store is None or self._conversation_id is None:
            return
        now = time.monotonic()
        if self._row is None:
            self._row = self._store.add_message(
                self._conversation_id, "assistant", text(), INCOMPLETE, self._model
            )
            self._last_write = now
        elif now - self._last_write >= PROGRESS_INTERVAL:
            self._store.update_message(self._row, text(), INCOMPLETE)
            self._last_write = now

    def finish(self, message: Message, usage: dict[str, Any] | None) -> None:
        if self._store is None or self._conversation_id is None:
            return
        if self._row is None:
            self._row = self._store.add_message(
                self._conversation_id, "assistant", message.content, message.status, self._model
            )
        duration_ms = (time.monotonic() - self._started) * 1000
        self._store.update_message(
            self._row,
            message.content,
            message.status,
            usage=usage,
            first_token_ms=self._first_token_ms,
            duration_ms=duration_ms,
            extra=message.extra(),
        )
        message.stored_id = self._row
