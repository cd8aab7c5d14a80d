"""Make model text safe for a terminal: no control characters ever reach it.

Model output is untrusted data. Rich passes ESC sequences (OSC 52 clipboard writes, OSC 8
links, cursor moves) straight through, so every piece of text is filtered here first, one
character at a time, which stays safe when a sequence is split across stream deltas.
"""

from __future__ import annotations

ESC_PLACEHOLDER = "\u241b"  # ␛
CONTROL_PLACEHOLDER = "\ufffd"  # �

_BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROLS = [
    code
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *_BIDI_CONTROLS]
    if chr(code) not in "\n\t"
]


def _table(placeholder: str) -> dict[int, str | None]:
    table: dict[int, str | None] = dict.fromkeys(_CONTROLS, placeholder or None)
    if placeholder:
        table[0x1B] = ESC_PLACEHOLDER
    table[ord("\r")] = None  # CRLF becomes LF; a lone CR would let text overwrite itself
    return table


_VISIBLE = _table(CONTROL_PLACEHOLDER)
_DROPPED = _table("")


def visible(text: str) -> str:
    """Replace control characters with visible placeholders (for a terminal)."""
    return text.translate(_VISIBLE)


def dropped(text: str) -> str:
    """Remove control characters (for a pipe or a file)."""
    return text.translate(_DROPPED)


def one_line(text: str, limit: int = 300) -> str:
    """Squash server-provided text (error bodies) into one safe, bounded line."""
    flat = " ".join(dropped(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
