"""Split a growing Markdown text into top-level blocks, and find which of them are final.

A top-level block is final once another top-level block has started after it: from then on
nothing that arrives can change how it renders (an open code fence always runs to the end of
the text, so it is never final early). Only whole lines are looked at, so a half-typed line
cannot create a false boundary.
"""

from __future__ import annotations

from itertools import pairwise

from markdown_it import MarkdownIt

# The same parser configuration rich.markdown.Markdown uses, so blocks split where rich's do.
_PARSER = MarkdownIt().enable("strikethrough").enable("table")


def _block_start_lines(text: str) -> list[int]:
    return [
        token.map[0]
        for token in _PARSER.parse(text)
        if token.level == 0 and token.nesting >= 0 and token.map
    ]


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
    offsets = _line_offsets(whole_lines, _block_start_lines(whole_lines))
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
