"""What one exchange with the model is made of, as the edges see it.

``Chat.send`` yields these in order; the renderer, the history journal and the REPL each
observe the same stream and act on the events they care about. What changes the conversation
between exchanges (a new system prompt, /undo, /new, /load, /fork) is a Chat method too, and
tells its watchers (the journal) with the events at the end of this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chatbot.engine.conversation import INTERRUPTED
from chatbot.engine.reply import Delta

if TYPE_CHECKING:
    from chatbot.engine.conversation import Conversation, Message
    from chatbot.engine.reply import Reply, ToolCall
    from chatbot.errors import ApiError

__all__ = [
    "Annotated",
    "Change",
    "Delta",
    "Event",
    "Finished",
    "Forked",
    "Notice",
    "ParamsChanged",
    "ReplyEnded",
    "RequestSent",
    "Switched",
    "SystemChanged",
    "TakenBack",
    "ToolAnswered",
    "ToolAsked",
    "UserSent",
    "UserWithdrawn",
]


@dataclass(frozen=True, slots=True)
class UserSent:
    """The user's message joined ``conversation`` (it is about to be sent)."""

    message: Message
    model: str
    conversation: Conversation


@dataclass(frozen=True, slots=True)
class RequestSent:
    """A request is on its way; its reply follows as Delta events, then ReplyEnded."""

    model: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A line about the request itself (a retry, trimming, the tool-round limit)."""

    text: str


@dataclass(frozen=True, slots=True)
class ReplyEnded:
    """One request's reply is over; ``status`` says how (chatbot.engine.conversation).

    ``message`` is the reply as recorded in the conversation (None when nothing arrived);
    ``error`` is why it failed, if it did.
    """

    reply: Reply
    status: str
    message: Message | None
    error: ApiError | None = None


@dataclass(frozen=True, slots=True)
class UserWithdrawn:
    """A request failed before any reply: the user's message left the conversation again."""

    message: Message


@dataclass(frozen=True, slots=True)
class ToolAsked:
    """The model wants to call one of the user's functions (consent is asked next)."""

    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolAnswered:
    """The call ran (or was declined); ``message`` carries the answer sent back."""

    call: ToolCall
    result: str
    message: Message


@dataclass(frozen=True, slots=True)
class Finished:
    """The exchange is over: the last reply, its status, and the error that ended it, if any."""

    reply: Reply
    status: str
    error: ApiError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status != INTERRUPTED


# Between exchanges: what a Chat method changed (its watchers are told at once).


@dataclass(frozen=True, slots=True)
class SystemChanged:
    """The system prompt of ``conversation`` was replaced (None: removed)."""

    conversation: Conversation
    system: str | None


@dataclass(frozen=True, slots=True)
class ParamsChanged:
    """Request settings changed for the next messages (/model, /temperature, a template)."""

    changes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TakenBack:
    """The user took these messages out of the conversation (/undo, /retry, /edit-last); the
    history keeps them, set aside and marked ``why``."""

    messages: tuple[Message, ...]
    why: str = "undone"


@dataclass(frozen=True, slots=True)
class Switched:
    """The chat goes on in ``conversation``: a new one (/new) or a saved one (/load, -c)."""

    conversation: Conversation


@dataclass(frozen=True, slots=True)
class Forked:
    """The chat goes on in ``copy``, a branch holding what ``source`` held; ``source`` stays."""

    source: Conversation
    copy: Conversation
    at: int | None = None  # after which exchange of ``source`` (None: its end)


@dataclass(frozen=True, slots=True)
class Titled:
    """The user gave ``conversation`` a title (/title)."""

    conversation: Conversation
    title: str


@dataclass(frozen=True, slots=True)
class Annotated:
    """Something happened to a saved message after it was written (a command it held ran)."""

    message: Message


Change = SystemChanged | ParamsChanged | TakenBack | Switched | Forked | Titled | Annotated

Event = (
    UserSent
    | RequestSent
    | Notice
    | Delta
    | ReplyEnded
    | UserWithdrawn
    | ToolAsked
    | ToolAnswered
    | Finished
    | Change
)
