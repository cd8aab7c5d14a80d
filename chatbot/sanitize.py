"""Make model and server text safe for a terminal: no control character ever reaches it.

Model output is untrusted data. Rich passes ESC sequences (OSC 52 clipboard writes, OSC 8
links, cursor moves) straight through, so every piece of text is filtered here first, one
character at a time, which stays safe when a sequence is split across stream deltas. Besides
the C0 and C1 controls: the bidi controls (which can make a line read differently from what it
is), the invisible format characters (zero-width space, LRM/RLM, word joiners, BOM) and the
Unicode tag characters (invisible ASCII, used to smuggle instructions). The zero-width joiner
and non-joiner stay: emoji sequences and several scripts need them.
"""

from __future__ import annotations

import re

ESC_PLACEHOLDER = "\u241b"  # ␛
CONTROL_PLACEHOLDER = "\ufffd"  # �

_BIDI_CONTROLS = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_INVISIBLE = [0x200B, 0x2028, 0x2029, *range(0x2060, 0x2065), 0xFEFF]
_TAGS = range(0xE0000, 0xE0080)
_CONTROLS = [
    code
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI_CONTROLS, *_INVISIBLE]
    if chr(code) not in "\n\t"
]


def _table(placeholder: str) -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(_CONTROLS, placeholder or None)
    if placeholder:
        table[0x1B] = ESC_PLACEHOLDER
    table[ord("\r")] = None  # CRLF becomes LF; a lone CR would let text overwrite itself
    table.update(dict.fromkeys(_TAGS))  # invisible in any case: dropped
    return table


_VISIBLE = _table(CONTROL_PLACEHOLDER)
_DROPPED = _table("")
_UNSAFE = re.compile(
    "[" + "".join(f"\\U{code:08x}" for code in [*_CONTROLS, *_TAGS] if chr(code) != "\n") + "]"
)


def visible(text: str) -> str:
    """Replace control characters with visible placeholders (for a terminal)."""
    return text.translate(_VISIBLE)


def dropped(text: str) -> str:
    """Remove control characters (for a pipe or a file)."""
    return text.translate(_DROPPED)


def dropped_to(text: str, placeholder: str) -> str:
    """Every control character replaced by ``placeholder`` (a file name sent on)."""
    return _UNSAFE.sub(placeholder, text.replace("\n", placeholder))


def inline(text: str) -> str:
    """``text`` kept on one line, whatever it holds: a line break shown as ␤, a tab as a space,
    every other control character as a placeholder (a config value, a file or server name)."""
    return visible(text.replace("\r\n", "\n").replace("\n", "\u2424").replace("\t", " "))


def one_line(text: str, limit: int = 300) -> str:
    """Squash server-provided text (error bodies) into one safe, bounded line."""
    flat = " ".join(dropped(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def json_escaped(document: str) -> str:
    """JSON text with every unsafe character written as a \\u escape: the same document, safe
    on a terminal (json.dumps leaves C1, bidi and invisible characters raw)."""
    return _UNSAFE.sub(lambda found: _escape(found.group()), document)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
