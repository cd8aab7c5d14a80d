"""Keep the history database in step with a conversation: an observer of the engine's events.

The user message is written when it is sent; a reply is written when its first text arrives,
then at most once a second while it streams, then with its final status, usage and timings.
A Journal without a store (``--no-save``) does nothing. It only observes: the events of each
exchange, and the changes the chat tells its watchers between exchanges (a new system prompt,
messages taken back, a fork). Each event names the conversation it is about, and the journal
writes that conversation's history id onto it (as it writes each message's row id).

Saving must never stop the chat: a write that fails (disk full, database locked past the busy
timeout, a read-only directory) is told once through ``on_problem``, and what could not be
written waits in order; every later event tries again, so the history catches up as soon as
the cause goes away (the lock released, space freed).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatbot.engine.conversation import INCOMPLETE, NO_REPLY, Conversation, Message
from chatbot.engine.events import (
    Annotated,
    Delta,
    Event,
    Forked,
    ReplyEnded,
    RequestSent,
    Switched,
    SystemChanged,
    TakenBack,
    Titled,
    ToolAnswered,
    UserSent,
    UserWithdrawn,
)
from chatbot.errors import ConversationGone
from chatbot.store.spool import rewrite_spool, write_spool

if TYPE_CHECKING:
    from pathlib import Path

    from chatbot.store.database import Store

PROGRESS_INTERVAL = 1.0
CLOSING_WAIT_MS = 3_000  # at the end of a run, how long to wait out another process's lock


def _ignore(text: str) -> None:
    pass


@dataclass
class _Unsaved:
    """A message still to be written, with what its row carries beside the text."""

    conversation: Conversation  # saved first, when it is not yet
    message: Message
    model: str = ""  # the request's: a conversation saved with this message gets it
    reply_model: str | None = None  # a reply's: written with its final status and usage
    usage: dict[str, Any] | None = None
    first_token_ms: float | None = None
    duration_ms: float | None = None
    set_aside: str | None = None  # taken out of the conversation before it was written: why


class Journal:
    """Writes what the events say to ``store``, as it happens, catching up after failures."""

    def __init__(self, store: Store | None, *, on_problem: Callable[[str], None] = _ignore) -> None:
        self.store = store
        self.on_problem = on_problem
        self._failing = False
        self._conversation = Conversation()  # the one the last event was about
        self._reply: _ReplyRow | None = None
        self._unsaved: list[_Unsaved] = []
        # While saving fails, what waits (the streaming reply too) is kept in a spool file,
        # rewritten at most once a second, so that even kill -9 loses nothing; gone once saved.
        self._spool: Path | None = None
        self._spooled_at = float("-inf")

    @property
    def conversation_id(self) -> str | None:
        """The history id of the conversation the last event was about (None: not saved)."""
        return self._conversation.stored_id

    def __call__(self, event: Event) -> None:
        if self.store is None:
            return
        try:
            self._record(event)
            # While saving fails, the pieces of a streaming reply do not try again: each try
            # may wait for a lock, and the reply must not wait on the database.
            wrote = False if self._failing and isinstance(event, Delta) else self._flush()
            if isinstance(event, Delta) and self._reply is not None and not self._unsaved:
                try:
                    wrote = self._reply.write(self.store, self.conversation_id) or wrote
                except ConversationGone:
                    self._gone(self._conversation)
                    self._reply.row = None  # deleted with it: the reply is written anew
        except Exception as problem:  # whatever saving hit, the chat goes on
            self._report(problem)
        else:
            if wrote and self._failing:
                self._failing = False  # saving works again (a new failure is told again)
        if self._failing:
            self._keep_spool()
        elif self._spool is not None and not self._unsaved:
            self._drop_spool()

    def _record(self, event: Event) -> None:
        """Note what ``event`` asks to be saved (written by the next flush)."""
        assert self.store is not None
        if isinstance(event, UserSent):
            self._conversation = event.conversation
            self._unsaved.append(_Unsaved(event.conversation, event.message, event.model))
        elif isinstance(event, RequestSent):
            self._reply = _ReplyRow(event.model)
        elif isinstance(event, Delta) and self._reply is not None:
            self._reply.add(event)
        elif isinstance(event, ReplyEnded):
            reply, self._reply = self._reply, None
            if event.message is not None and reply is not None:
                unsaved = reply.unsaved(self._conversation, event.message, event.reply.usage)
                self._unsaved.append(unsaved)
        elif isinstance(event, UserWithdrawn):
            self._set_aside([event.message], NO_REPLY)
        elif isinstance(event, ToolAnswered):
            self._unsaved.append(_Unsaved(self._conversation, event.message))
        elif isinstance(event, TakenBack):
            self._set_aside(list(event.messages), event.why)
        elif isinstance(event, SystemChanged):
            self._conversation = event.conversation
            if event.conversation.stored_id is not None:
                self.store.set_system(event.conversation.stored_id, event.system)
        elif isinstance(event, Switched):
            self._conversation = event.conversation
        elif isinstance(event, Titled) and event.conversation.stored_id is not None:
            self.store.rename(event.conversation.stored_id, event.title)
        elif isinstance(event, Annotated) and (row := event.message.stored_id) is not None:
            message = event.message
            self.store.update_message(row, message.content, message.status, extra=message.extra())
        elif isinstance(event, Forked):
            self._conversation = event.copy
            self._fork(event.source, event.copy, event.at)

    def _fork(self, source: Conversation, copy: Conversation, at: int | None) -> None:
        """Save ``copy`` as a branch of ``source``: rows copied whole (usage and timings kept);
        when that cannot be done now, its messages wait to be written like any other."""
        assert self.store is not None
        if source.stored_id is None or self._unsaved:  # the rows to copy are not all written
            self._unsaved += [_Unsaved(copy, m) for m in copy.turns]
            return
        try:
            branch = self.store.fork(source.stored_id, keep=len(copy.turns), at=at)
            rows = [m.id for m in self.store.messages(branch)]
            if len(rows) != len(copy.turns):
                raise RuntimeError("the saved conversation differs from the one on screen")
        except Exception:
            self._unsaved += [_Unsaved(copy, m) for m in copy.turns]
            raise
        copy.stored_id = branch
        for message, row in zip(copy.turns, rows, strict=True):
            message.stored_id = row

    def fork_refusal(self, conversation: Conversation) -> str | None:
        """Why ``conversation`` cannot be branched in the history now (None: it can)."""
        if self.store is None:
            return "/fork needs the history, and this chat is not saved"
        if not conversation.turns:
            return "nothing to fork yet: send a message first"
        return None

    def _flush(self) -> bool:
        """Write what waits, oldest first; whether anything was written."""
        assert self.store is not None
        wrote = False
        if self._failing and self._unsaved:
            self.store.checkpoint()  # a failed write may have left the log full of pages
        while self._unsaved:
            item = self._unsaved[0]
            try:
                self._write(item)
            except ConversationGone:  # its row or its conversation was deleted: write it anew
                if item.conversation.stored_id is not None:
                    self._gone(item.conversation)
                item.message.stored_id = None
                self._write(item)
            self._unsaved.pop(0)
            wrote = True
        return wrote

    def _write(self, item: _Unsaved) -> None:
        assert self.store is not None
        message, conversation = item.message, item.conversation
        if conversation.stored_id is None:
            conversation.stored_id = self.store.new_conversation(
                item.reply_model or item.model, conversation.system
            )
            if conversation.title:  # given before the first message was saved
                self.store.rename(conversation.stored_id, conversation.title)
        if message.stored_id is None:
            message.stored_id = self.store.add_message(
                conversation.stored_id,
                message.role,
                message.content,
                message.status,
                item.reply_model or "",
                extra=message.extra(),
            )
        if item.reply_model is not None:  # a reply: its final text, status, usage, timings
            self.store.update_message(
                message.stored_id,
                message.content,
                message.status,
                usage=item.usage,
                first_token_ms=item.first_token_ms,
                duration_ms=item.duration_ms,
                extra=message.extra(),
            )
        if item.set_aside is not None:
            self.store.set_aside([message.stored_id], item.set_aside)

    def _gone(self, conversation: Conversation) -> None:
        """The conversation was deleted while in use (``history rm`` elsewhere): say so once,
        and save what follows as a new conversation (what was deleted stays deleted)."""
        self.on_problem(
            f"the conversation {str(conversation.stored_id)[:8]} was removed from the history"
            " while in use: what follows is saved as a new conversation"
        )
        conversation.stored_id = None

    def _report(self, problem: Exception) -> None:
        if not self._failing:
            self._failing = True
            self.on_problem(
                f"not saved to the history yet: {problem}; the chat goes on, and what is not"
                " saved is written as soon as it can be"
            )

    def unsaved(self) -> int:
        """How many messages are still waiting to be written."""
        return len(self._unsaved)

    def close(self, wait_ms: int | None = None) -> None:
        """A last try at writing what waits (a lock may wait ``wait_ms``); what still cannot be
        written is kept in a spool file beside the database, written at the next start."""
        if self.store is None or not self._unsaved:
            self._drop_spool()
            return
        try:
            self.store.wait_for_locks(CLOSING_WAIT_MS if wait_ms is None else wait_ms)
            self._flush()
            self._drop_spool()
            return
        except Exception as problem:
            failure = problem
        count = len(self._unsaved)
        try:
            where = self._write_spool()
        except OSError as problem:
            self.on_problem(f"{count} messages were not saved to the history: {failure}; {problem}")
            return
        self.on_problem(
            f"{count} messages could not be saved to the history yet ({failure}): they wait in"
            f" {where} and join the history at the next start"
        )

    def _write_spool(self) -> Path:
        """What waits, in this run's spool file (made at the first failure, then rewritten)."""
        assert self.store is not None
        if self._spool is None:
            self._spool = write_spool(self.store.path.parent, self._spooled(), self.store.clean)
        else:
            rewrite_spool(self._spool, self._spooled(), self.store.clean)
        return self._spool

    def _keep_spool(self) -> None:
        now = time.monotonic()
        if now - self._spooled_at < PROGRESS_INTERVAL:
            return
        self._spooled_at = now
        if not self._unsaved and (self._reply is None or not self._reply.text()):
            return
        with contextlib.suppress(OSError):  # a disk that takes nothing: said already
            self._write_spool()

    def _drop_spool(self) -> None:
        if self._spool is not None:
            with contextlib.suppress(OSError):
                self._spool.unlink(missing_ok=True)
            self._spool = None

    def _spooled(self) -> list[dict[str, Any]]:
        """What waits, by conversation, in the shape chatbot.store.spool keeps (the reply
        streaming now as an incomplete message)."""
        groups: dict[int, dict[str, Any]] = {}
        waiting = list(self._unsaved)
        if self._reply is not None and self._reply.text():
            waiting.append(self._reply.in_progress(self._conversation))
        for item in waiting:
            conversation = item.conversation
            group = groups.setdefault(
                id(conversation),
                {"id": conversation.stored_id, "system": conversation.system,
                 "model": item.reply_model or item.model, "messages": []},
            )  # fmt: skip
            message = item.message
            group["messages"].append(
                {"role": message.role, "content": message.content, "status": message.status,
                 "model": item.reply_model or "", "extra": message.extra() or None,
                 "usage": item.usage, "first_token_ms": item.first_token_ms,
                 "duration_ms": item.duration_ms, "row": message.stored_id,
                 "set_aside": item.set_aside}
            )  # fmt: skip
        return list(groups.values())

    def _set_aside(self, messages: list[Message], why: str) -> None:
        """Messages taken out of the conversation: kept in the history, marked ``why`` (those
        not written yet are written so); nothing that was sent, said or paid for is erased."""
        waiting = {id(item.message): item for item in self._unsaved}
        for message in messages:
            if id(message) in waiting:
                waiting[id(message)].set_aside = why
        ids = [m.stored_id for m in messages if m.stored_id is not None and id(m) not in waiting]
        if self.store is None or not ids:
            return
        try:
            self.store.set_aside(ids, why)
        except Exception as problem:
            self._report(problem)


class _ReplyRow:
    """One streaming reply's row: written at the first text, then at most once a second."""

    def __init__(self, model: str) -> None:
        self._model = model
        self._pieces: dict[str, list[str]] = {"content": [], "refusal": []}
        self.row: int | None = None
        self._started = time.monotonic()
        self._first_token_ms: float | None = None
        self._last_write = float("-inf")  # the first text is written at once

    def _text(self) -> str:
        return "".join(self._pieces["content"]) or "".join(self._pieces["refusal"])

    def text(self) -> str:
        return self._text()

    def in_progress(self, conversation: Conversation) -> _Unsaved:
        """The reply so far, as what a spool keeps (incomplete, over its row if it has one)."""
        message = Message("assistant", self._text(), INCOMPLETE, self.row)
        return _Unsaved(conversation, message, reply_model=self._model)

    def add(self, delta: Delta) -> None:
        self._pieces[delta.kind].append(delta.text)
        if self._first_token_ms is None:
            self._first_token_ms = (time.monotonic() - self._started) * 1000

    def write(self, store: Store, conversation_id: str | None) -> bool:
        """Write the reply so far, if a second has passed since the last write."""
        now = time.monotonic()
        if conversation_id is None or now - self._last_write < PROGRESS_INTERVAL:
            return False
        self._last_write = now  # before writing: a failing write is not retried per piece
        if self.row is None:
            self.row = store.add_message(
                conversation_id, "assistant", self._text(), INCOMPLETE, self._model
            )
        else:
            store.update_message(self.row, self._text(), INCOMPLETE)
        return True

    def unsaved(
        self, conversation: Conversation, message: Message, usage: dict[str, Any] | None
    ) -> _Unsaved:
        """The finished reply, to be written over its streaming row (or as a new one)."""
        if self.row is not None:
            message.stored_id = self.row
        duration_ms = (time.monotonic() - self._started) * 1000
        return _Unsaved(
            conversation,
            message,
            self._model,
            reply_model=self._model,
            usage=usage,
            first_token_ms=self._first_token_ms,
            duration_ms=duration_ms,
        )
