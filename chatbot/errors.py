"""The exceptions writer-chat raises, each carrying the exit code and a one-line message."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class WriterChatError(Exception):
    """Base class: ``str(error)`` is the one line shown to the user.

    ``hints`` holds what to do next where it depends on where the user is: under
    "command line" (a flag to change) and "chat" (a slash command).
    """

    exit_code = EXIT_FAILURE
    hints: dict[str, str] = {}  # noqa: RUF012 (replaced per instance, never mutated)

    def said(self, where: str) -> str:
        hint = self.hints.get(where)
        return f"{self} {hint}" if hint else str(self)


class UsageError(WriterChatError):
    """Bad flags, bad input or missing configuration: the user can fix it and retry."""

    exit_code = EXIT_USAGE


class ApiError(WriterChatError):
    """Anything that went wrong talking to the Writer API."""


class ApiStatusError(ApiError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int, description: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.description = description


class AuthenticationError(ApiStatusError):
    """401 or 403: the key is missing, wrong or lacks permission."""


class UnknownModelError(ApiStatusError):
    """The server does not know the model that was asked for."""


class ApiConnectionError(ApiError):
    """No HTTP response: refused, unreachable, TLS failure."""


class ApiTimeoutError(ApiError):
    """Connecting or waiting for the next byte took longer than ``--timeout``."""


class StreamError(ApiError):
    """The reply stream broke after it started (error event, malformed data, cut connection)."""


class CommandLineError(UsageError):
    """The parser rejected the flags or arguments (its message already says which)."""


class ReaderGone(Exception):
    """stdout's reader went away (``| head``): a quiet, normal end."""


class ConversationGone(Exception):
    """The saved conversation a message was to be written to is no longer in the history
    (another process ran ``history rm`` on it). Not a WriterChatError: the journal handles it."""
