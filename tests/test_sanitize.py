"""Model text never carries control characters to the terminal (docs/RENDERING-AND-SAFETY.md B5)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from chatbot import sanitize
from chatbot.terminal.render import MarkdownRenderer

PAYLOADS = [
    "A\x1b]52;c;SGVsbG8=\x07B",
    "A\x1b]52;c;SGVsbG8=\x1b\\B",
    "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\",
    "\x1b]0;pwned",
    "\x1b[2J\x1b[1A\x1b[2K\x1b[6n\x1bc",
    "\x1bP1$r0m\x1b\\ \x1b_x\x1b\\",
    "\x9b2J \x9d0;x\x9c \x90q\x9c",
    "bidi \u202eevil\u202c",
    "nul \x00 bel \x07 backspace \x08 delete \x7f",
    "\x1b]2;window title\x1b\\",
]


def controls(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_visible_and_dropped_leave_no_control_characters(payload):
    assert controls(sanitize.visible(payload)) == set()
    assert controls(sanitize.dropped(payload)) == set()
    assert "\u202e" not in sanitize.visible(payload)


def test_visible_shows_a_placeholder_and_keeps_the_text_around_it():
    assert sanitize.visible("A\x1b[2JB") == "A\u241b[2JB"
    assert sanitize.visible("line\r\nnext") == "line\nnext"
    assert sanitize.dropped("A\x1b[2JB\tC") == "A[2JB\tC"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_markdown_renderer_emits_only_its_own_escape_codes(payload):
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, color_system=None)
    renderer = MarkdownRenderer(console, "monokai")
    renderer.start()
    for piece in [f"text {payload} ", "and `", payload, "`\n\n```\n", payload, "\n```\n"]:
        renderer.feed("content", piece)
    renderer.finish("complete")
    written = out.getvalue()
    # With colour off, the only escapes rich may write are its own cursor and erase codes.
    for allowed in ("\x1b[?25l", "\x1b[?25h", "\x1b[2K", "\x1b[1A"):
        written = written.replace(allowed, "")
    assert controls(written) - {"\r"} == set()


def test_markup_in_model_text_is_printed_literally():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80, color_system=None)
    renderer = MarkdownRenderer(console, "monokai")
    renderer.start()
    renderer.feed("content", "a [/bold] b [link=file:///etc/passwd]x[/link] :smile:\n")
    renderer.finish("complete")
    assert "a [/bold] b [link=file:///etc/passwd]x[/link] :smile:" in out.getvalue()
