"""What the user attaches to their next message in the REPL (/file, /image, /run): files,
folders, web pages and command output as text under a heading, images as content parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Attachment:
    label: str  # what the user sees: a file name, a URL, "$ git diff", an image
    text: str = ""  # the text added to the message
    image: dict[str, Any] | None = None  # a content part, for an image
    size: int = 0  # bytes read

    @property
    def tokens(self) -> int:
        """A rough count (four characters a token), for the note said when attaching."""
        return (len(self.text) + 3) // 4


def fenced(heading: str, text: str) -> str:
    """``text`` in a code fence longer than any fence inside it, under ``heading``."""
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{heading}:\n{fence}\n{text.rstrip()}\n{fence}"


def message_with(text: str, attachments: list[Attachment]) -> str:
    """The message: what was typed, then each attached text after a blank line."""
    return "\n\n".join([text, *(a.text for a in attachments if a.text)])


def summary(attachments: list[Attachment]) -> str:
    """ "2 files, 1 image" for the toolbar."""
    images = sum(1 for a in attachments if a.image is not None)
    texts = len(attachments) - images
    parts = [f"{texts} text{'s' if texts != 1 else ''}"] if texts else []
    parts += [f"{images} image{'s' if images != 1 else ''}"] if images else []
    return ", ".join(parts)
