"""Split a growing Markdown text into top-level blocks, and find which of them are final.

A top-level block is final once another top-level block has started after it: from then on
nothing that arrives can change how it renders. A code fence is final as soon as its closing
line arrives (its number label then shows with it, not when the next block starts); an open
fence runs to the end of the text. Only whole lines are looked at, so a half-typed line cannot
create a false boundary.
"""

from __future__ import annotations

from itertools import pairwise

from markdown_it import MarkdownIt

# The same parser configuration rich.markdown.Markdown uses, so blocks split where rich's do.
_PARSER = MarkdownIt().enable("strikethrough").enable("table")


def _top_level(text: str) -> list[tuple[int, int, str]]:
    """(first line, end line, type) of each top-level block."""
    return [
        (token.map[0], token.map[1], token.type)
        for token in _PARSER.parse(text)
        if token.level == 0 and token.nesting >= 0 and token.map
    ]


def _block_start_lines(text: str) -> list[int]:
    return [start for start, _, _ in _top_level(text)]


def _closed_fence(whole_lines: str, start: int, end: int) -> bool:
    """Whether the fence on lines ``start``..``end`` ends with its closing line."""
    lines = whole_lines.split("\n")[start:end]
    if len(lines) < 2:
        return False
    opening, closing = lines[0].strip(), lines[-1].strip()
    marker = opening[:3]
    run = len(opening) - len(opening.lstrip(marker[0]))
    return closing == marker[0] * len(closing) and len(closing) >= run


def _line_offsets(text: str, line_numbers: list[int]) -> list[int]:
    offsets, offset, line = [], 0, 0
    for wanted in line_numbers:
        while line < wanted:
            offset = text.index("\n", offset) + 1
            line += 1
        offsets.append(offset)
    return offsets


def finished_blocks(text: str) -> tuple[list[str], int]:
    """The final blocks at the start of ``text``, and how many characters they span."""
    last_newline = text.rfind("\n")
    if last_newline < 0:
        return [], 0
    whole_lines = text[: last_newline + 1]
    top = _top_level(whole_lines)
    starts = [start for start, _, _ in top]
    if top and top[-1][2] == "fence" and _closed_fence(whole_lines, top[-1][0], top[-1][1]):
        starts.append(top[-1][1])  # a closed fence is final: it ends where its last line does
    offsets = _line_offsets(whole_lines, starts)
    if len(offsets) < 2:
        return [], 0
    blocks = [text[start:end] for start, end in pairwise(offsets)]
    return blocks, offsets[-1]


def code_blocks(text: str) -> list[str]:
    """The code of every fenced or indented code block, in order (also inside lists)."""
    return [token.content for token in _PARSER.parse(text) if token.type in ("fence", "code_block")]


def all_blocks(text: str) -> list[str]:
    """Every top-level block of a text that is complete (the reply has ended)."""
    offsets = _line_offsets(text, _block_start_lines(text))
    return [text[start:end] for start, end in zip(offsets, [*offsets[1:], len(text)], strict=True)]
