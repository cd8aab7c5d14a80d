"""Find where a growing Markdown text stops being final.

A top-level block is final once another top-level block has started after it: from then on
nothing that arrives can change how it renders (an open code fence always runs to the end of
the text, so it is never final early). Only whole lines are looked at, so a half-typed line
cannot create a false boundary.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

# The same parser configuration rich.markdown.Markdown uses, so blocks split where rich's do.
_PARSER = MarkdownIt().enable("strikethrough").enable("table")


def finished_length(text: str) -> int:
    """Length of the longest prefix of ``text`` made only of finished top-level blocks."""
    last_newline = text.rfind("\n")
    if last_newline < 0:
        return 0
    whole_lines = text[: last_newline + 1]
    block_starts = [
        token.map[0]
        for token in _PARSER.parse(whole_lines)
        if token.level == 0 and token.nesting >= 0 and token.map
    ]
    if len(block_starts) < 2:
        return 0
    return _offset_of_line(text, block_starts[-1])


def _offset_of_line(text: str, line_number: int) -> int:
    offset = 0
    for _ in range(line_number):
        offset = text.index("\n", offset) + 1
    return offset
