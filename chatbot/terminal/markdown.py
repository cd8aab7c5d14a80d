"""How one Markdown block looks on the terminal: rich's Markdown, with copyable code blocks."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Markdown, MarkdownElement
from rich.segment import Segment
from rich.syntax import Syntax

Line = list[Segment]


class CopyableCodeBlock(CodeBlock):
    """Highlighted code with no padding and no hard wrapping.

    rich's own code block pads every line with a space and folds long lines, so copied code
    gains leading spaces and broken lines. Here a top-level code line longer than the screen is
    written whole and left to the terminal to soft-wrap, so a copied line is the original line.
    """

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        code = str(self.text).rstrip()
        nested = options.max_width < console.width  # inside a list or quote: fold to fit
        syntax = Syntax(
            code,
            self.lexer_name,
            theme=self.theme,
            word_wrap=nested,
            padding=0,
            background_color="default",
        )
        widest = max((cell_len(line) for line in code.splitlines()), default=0)
        width = options.max_width if nested else max(options.max_width, widest)
        for line in console.render_lines(syntax, options.update(width=width), pad=False):
            yield from rstrip_line(line)
            yield Segment.line()


class ReplyMarkdown(Markdown):
    """A reply's Markdown. A single line break is a line break, as in the pipe's output and as
    chat clients show it: Markdown would join the lines of a poem, an address or a list written
    without list marks into one paragraph line (its "soft break")."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "fence": CopyableCodeBlock,
        "code_block": CopyableCodeBlock,
    }

    def __init__(self, markup: str, **options: Any) -> None:
        super().__init__(markup, **options)
        for block in self.parsed:
            for token in block.children or ():
                if token.type == "softbreak":
                    token.type = "hardbreak"


def reply_markdown(source: str, code_theme: str) -> Markdown:
    # hyperlinks=False shows "text (url)": a link's real target is always visible.
    return ReplyMarkdown(source, code_theme=code_theme, hyperlinks=False)


def _is_plain_space(segment: Segment) -> bool:
    style = segment.style
    return not segment.control and not segment.text.strip() and not (style and style.bgcolor)


def rstrip_line(line: Line) -> Line:
    """Drop trailing padding, so a line is never followed by a row of spaces on a terminal
    that is narrower (or has just been narrowed) than the width it was laid out for."""
    end = len(line)
    while end and _is_plain_space(line[end - 1]):
        end -= 1
    line = line[:end]
    if line:
        last = line[-1]
        if not last.control and not (last.style and last.style.bgcolor):
            text = last.text.rstrip(" ")
            if text != last.text:  # rich pads wrapped paragraph lines inside the text segment
                line = [*line[:-1], Segment(text, last.style)]
    return line


def render_block(console: Console, source: str, code_theme: str) -> list[Line]:
    """Render one block to lines without cropping, blank lines trimmed from both ends."""
    segments = console.render(reply_markdown(source, code_theme), console.options)
    lines = [rstrip_line(line) for line in Segment.split_lines(segments)]
    start, end = 0, len(lines)
    while start < end and not lines[start]:
        start += 1
    while end > start and not lines[end - 1]:
        end -= 1
    return lines[start:end]
