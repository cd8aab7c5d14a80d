"""How a reply reaches the user: the renderer interface, and plain text for pipes.

Renderers receive text that has not been sanitised yet and are the only place it is made safe
for the screen. This module imports no rich, so piped one-shot runs start fast; the live
Markdown renderer is in chatbot.terminal.render.
"""

from __future__ import annotations

from typing import Protocol, TextIO

from chatbot import sanitize
from chatbot.engine import conversation

STATUS_NOTES = {
    conversation.INTERRUPTED: "interrupted",
    conversation.LENGTH: "reply cut off: it reached the max tokens limit",
    conversation.CONTENT_FILTER: "reply stopped by the content filter",
    conversation.FAILED: "reply incomplete",
}


class Renderer(Protocol):
    def start(self) -> None:
        """The request is on its way (a terminal shows a spinner)."""

    def feed(self, kind: str, text: str) -> None:
        """A piece of the reply arrived; ``kind`` is "content" or "refusal"."""

    def notice(self, text: str) -> None:
        """A line about the request itself (a retry), shown apart from the reply."""

    def finish(self, status: str) -> None:
        """The reply ended with ``status`` (see chatbot.conversation); always called once."""


def _unchanged(text: str) -> str:
    return text


class PlainRenderer:
    """Text as it arrives, flushed at once; refusals and notes go to stderr."""

    def __init__(
        self, out: TextIO, err: TextIO, *, terminal: bool = False, raw: bool = False
    ) -> None:
        self._out = out
        self._err = err
        self._clean = _unchanged if raw else sanitize.visible if terminal else sanitize.dropped
        self._last_char = "\n"
        self._wrote = False
        self._refused = False

    def start(self) -> None:
        pass

    def feed(self, kind: str, text: str) -> None:
        text = self._clean(text)
        if not self._wrote and kind == "content":
            text = text.lstrip("\n")  # leading blank lines (a stray "\n" before tool calls)
        if not text:
            return
        if kind == "refusal":
            if not self._refused:
                self._err.write("refusal: ")
                self._refused = True
            self._err.write(text)
            self._err.flush()
            return
        self._out.write(text)
        self._out.flush()
        self._last_char = text[-1]
        self._wrote = True

    def notice(self, text: str) -> None:
        self._err.write(f"writer-chat: {text}\n")
        self._err.flush()

    def finish(self, status: str) -> None:
        if self._last_char != "\n":
            self._out.write("\n")
            self._out.flush()
        if self._refused:
            self._err.write("\n")
        note = STATUS_NOTES.get(status)
        if note and (self._wrote or self._refused or status != conversation.FAILED):
            self._err.write(f"writer-chat: {note}\n")
        self._err.flush()
