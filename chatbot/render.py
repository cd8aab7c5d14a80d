"""Show a streaming reply: live Markdown on a terminal, plain text everywhere else.

Renderers receive text that has not been sanitised yet and are the only place it is made
safe for the screen. They know nothing of HTTP.
"""

from __future__ import annotations

import time
from typing import Protocol, TextIO

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.markdown import Markdown
from rich.segment import Segment, Segments
from rich.spinner import Spinner
from rich.text import Text

from chatbot import conversation, sanitize
from chatbot.blocks import finished_length
from chatbot.stream import Delta

STATUS_NOTES = {
    conversation.INTERRUPTED: "interrupted",
    conversation.LENGTH: "reply cut off: it reached the max tokens limit",
    conversation.CONTENT_FILTER: "reply stopped by the content filter",
    conversation.FAILED: "reply incomplete",
}


class Renderer(Protocol):
    def start(self) -> None:
        """The request is on its way (a terminal shows a spinner)."""

    def feed(self, delta: Delta) -> None:
        """A piece of the reply arrived."""

    def finish(self, status: str) -> None:
        """The reply ended with ``status`` (see chatbot.conversation); always called once."""


class PlainRenderer:
    """Text as it arrives, flushed at once; refusals and notes go to stderr."""

    def __init__(self, out: TextIO, err: TextIO, *, terminal: bool = False) -> None:
        self._out = out
        self._err = err
        self._clean = sanitize.visible if terminal else sanitize.dropped
        self._last_char = "\n"
        self._refused = False
        self._wrote = False

    def start(self) -> None:
        pass

    def feed(self, delta: Delta) -> None:
        text = self._clean(delta.text)
        if not text:
            return
        if delta.kind == "refusal":
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

    def finish(self, status: str) -> None:
        if self._last_char != "\n":
            self._out.write("\n")
            self._out.flush()
        if self._refused:
            self._err.write("\n")
        note = STATUS_NOTES.get(status)
        shown = self._refused or self._wrote
        if note and (shown or status != conversation.FAILED):
            self._err.write(f"writer-chat: {note}\n")
        self._err.flush()


def _is_blank(line: list[Segment]) -> bool:
    return all(not seg.text.strip() and not (seg.style and seg.style.bgcolor) for seg in line)


def _trim_blank_lines(lines: list[list[Segment]]) -> list[list[Segment]]:
    start, end = 0, len(lines)
    while start < end and _is_blank(lines[start]):
        start += 1
    while end > start and _is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


class _Tail:
    """The unfinished last block, cut to the lines that fit on screen (rich has no such mode)."""

    def __init__(self, markdown: Markdown | None, refusal: str, gap: bool) -> None:
        self._markdown = markdown
        self._refusal = refusal
        self._gap = gap
        self._cache: tuple[tuple[int, int], list[list[Segment]]] | None = None

    def _lines(self, console: Console, options: ConsoleOptions) -> list[list[Segment]]:
        key = (options.max_width, console.size.height)
        if self._cache and self._cache[0] == key:
            return self._cache[1]
        lines: list[list[Segment]] = []
        if self._markdown is not None:
            lines = _trim_blank_lines(console.render_lines(self._markdown, options, pad=False))
        if self._refusal:
            refusal = Text(self._refusal, style="italic red")
            lines += console.render_lines(refusal, options, pad=False)
        if lines and self._gap:
            lines.insert(0, [])
        lines = lines[-max(1, key[1] - 2) :]
        self._cache = (key, lines)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self._lines(console, options):
            yield from line
            yield Segment.line()


class MarkdownRenderer:
    """Rich Markdown: finished blocks are rendered once into the scrollback; only the open
    tail block is redrawn in a small live area (see shared/DESIGN.md, "Rendering a stream")."""

    def __init__(self, console: Console, code_theme: str = "monokai", max_hz: float = 20) -> None:
        self.console = console
        self._code_theme = code_theme
        self._min_interval = 1.0 / max_hz
        self._pending = ""
        self._refusal = ""
        self._printed_any = False
        self._last_refresh = 0.0
        self._live: Live | None = None

    def _markdown(self, source: str) -> Markdown:
        return Markdown(source, code_theme=self._code_theme, hyperlinks=False)

    def start(self) -> None:
        spinner = Spinner("dots", Text("waiting for the reply…", style="dim"), style="cyan")
        self._live = Live(
            spinner,
            console=self.console,
            transient=True,
            refresh_per_second=12,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def feed(self, delta: Delta) -> None:
        text = sanitize.visible(delta.text)
        if delta.kind == "refusal":
            self._refusal += text
        else:
            self._pending += text
            if "\n" in text:
                self._commit_finished()
        self._update_live()

    def _commit_finished(self) -> None:
        length = finished_length(self._pending)
        if length:
            self._print_block(self._pending[:length])
            self._pending = self._pending[length:]

    def _update_live(self) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        first = self._last_refresh == 0.0
        markdown = self._markdown(self._pending) if self._pending.strip() else None
        tail = _Tail(markdown, self._refusal, gap=self._printed_any)
        refresh = first or now - self._last_refresh >= self._min_interval
        self._live.update(tail, refresh=refresh)
        if refresh:
            self._last_refresh = now

    def _print_block(self, source: str) -> None:
        lines = _trim_blank_lines(
            self.console.render_lines(self._markdown(source), self.console.options, pad=False)
        )
        if not lines:
            return
        segments: list[Segment] = [Segment.line()] if self._printed_any else []
        for line in lines:
            segments.extend(line)
            segments.append(Segment.line())
        self.console.print(Segments(segments), end="")
        self._printed_any = True

    def finish(self, status: str) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        shown = self._printed_any or bool(self._pending.strip() or self._refusal)
        if self._pending.strip():
            self._print_block(self._pending)
        self._pending = ""
        if self._refusal:
            self.console.print(Text(self._refusal, style="italic red"))
        note = STATUS_NOTES.get(status)
        if note and (shown or status != conversation.FAILED):
            self.console.print(Text(f"[{note}]", style="dim italic"))
