"""Live Markdown on a terminal: finished blocks printed once, the open tail redrawn.

Text arrives unsanitised; this is where it is made safe for the screen. Nothing here knows HTTP.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderResult
from rich.live import Live
from rich.segment import Segment, Segments
from rich.style import Style
from rich.text import Text

from chatbot import debug, sanitize
from chatbot.engine import conversation
from chatbot.terminal.plain import STATUS_NOTES

if TYPE_CHECKING:
    from chatbot.terminal.markdown import Line

LIVE_REFRESH_HZ = 15
# A line longer than this is written as it arrives, without Markdown: laying out a paragraph
# costs rich ~0.6 s a megabyte (more than linearly), and no one reads such a line as layout.
LONG_LINE = 64 * 1024
REFUSAL_STYLE = "italic red"
CODE_HINT_STYLE = Style(dim=True)
LOAD_DELAY = 0.05  # seconds
# Finding where the open block ends parses it whole. Below this size that is done at every line;
# above, only once it has grown by a quarter, so one long block (a list of a thousand items) costs
# a number of parses that grows with the log of its size, not one a line (finished blocks may
# show a little later; benchmarks/long_blocks.py measured 4 KB against 1 KB: 1 KB is faster).
PARSE_EVERY_LINE_BELOW = 1024
PARSE_GROWTH = 1.25

# The Markdown engine (markdown-it, rich.markdown, pygments) costs ~25 ms to import. It loads in
# the background while the request is in flight (or once the first piece is drawn, if the server
# answers at once); until it is ready the live tail previews the text plain, so the first token
# is never kept waiting for it.
_markdown_ready = threading.Event()


def _load_markdown_engine() -> None:
    import chatbot.terminal.blocks
    import chatbot.terminal.markdown  # noqa: F401

    _markdown_ready.set()


def warm_up(code_theme: str) -> None:
    """Load the Markdown engine and prime its caches (run it on a thread while the user types,
    so the first reply does not pay for it)."""
    import io

    _load_markdown_engine()
    sample = "# h\n\n- *a* `b`\n\n| x |\n|---|\n| 1 |\n\n```python\nx = 1\n```\n"
    print_markdown(Console(file=io.StringIO(), force_terminal=True, width=80), sample, code_theme)


def _start_loading_markdown_engine(first_piece_shown: threading.Event) -> None:
    """Load the engine on a thread once the first piece is on screen, or after LOAD_DELAY
    (a real server takes longer than that to answer): imports running on a second thread
    keep the main one waiting for the GIL, so the first piece would wait for them."""

    def load() -> None:
        first_piece_shown.wait(LOAD_DELAY)
        _load_markdown_engine()

    if not _markdown_ready.is_set():
        threading.Thread(target=load, name="writer-chat-markdown", daemon=True).start()


def _render_block(console: Console, source: str, code_theme: str) -> list[Line]:
    from chatbot.terminal.markdown import render_block

    return render_block(console, source, code_theme)


class BlockPrinter:
    """Prints finished Markdown blocks, each rendered once, with one blank line between."""

    def __init__(self, console: Console, code_theme: str, *, code_hints: bool = False) -> None:
        self.console = console
        self.code_theme = code_theme
        self.printed_any = False
        self.code_hints = code_hints  # number each code block, for /copy code N (the REPL)
        self.code_count = 0

    def print_blocks(self, blocks: list[str]) -> None:
        segments: list[Segment] = []
        for block in blocks:
            lines = _render_block(self.console, block, self.code_theme)
            if not lines:
                continue
            if self.printed_any:
                segments.append(Segment.line())
            for line in lines:
                segments.extend(line)
                segments.append(Segment.line())
            if self.code_hints:
                segments += self._code_hint(block)
            self.printed_any = True
        if segments:
            # crop=False: wide code lines are left to the terminal to soft-wrap.
            self.console.print(Segments(segments), end="", crop=False)

    def _code_hint(self, block: str) -> list[Segment]:
        """A dim line under a block holding code: its number, as /copy code N takes it."""
        if "```" not in block and "~~~" not in block and "    " not in block:
            return []
        from chatbot.terminal.blocks import code_blocks

        count = len(code_blocks(block))
        if not count:
            return []
        first, self.code_count = self.code_count + 1, self.code_count + count
        numbers = f"{first}" if count == 1 else f"{first}-{self.code_count}"
        hint = f"code {numbers} · /copy code {numbers if count == 1 else 'N'}"
        return [Segment(hint, CODE_HINT_STYLE), Segment.line()]


def print_markdown(console: Console, text: str, code_theme: str) -> None:
    """Render a whole reply at once, exactly as the streaming renderer leaves it."""
    from chatbot.terminal.blocks import all_blocks

    BlockPrinter(console, code_theme).print_blocks(all_blocks(sanitize.visible(text)))


class _Tail:
    """The unfinished last block, cut to the lines that fit on screen (rich has no such mode).

    It is rendered only when the live area refreshes (at most LIVE_REFRESH_HZ), never per delta.
    """

    def __init__(self, printer: BlockPrinter, source: str, refusal: str) -> None:
        self._printer = printer
        self._source = source
        self._refusal = refusal
        self._gap = printer.printed_any
        self._cache: tuple[tuple[int, int], list[Line]] | None = None

    def _lines(self, console: Console, options: ConsoleOptions) -> list[Line]:
        height = console.size.height
        key = (options.max_width, height)
        if self._cache and self._cache[0] == key:
            return self._cache[1]
        room = max(1, height - 2)
        source = _preview_source(self._source, room, options.max_width)
        lines: list[Line] = []
        if not source.strip():
            pass
        elif _markdown_ready.is_set():
            lines = _render_block(console, source, self._printer.code_theme)
        else:  # a plain preview for the few ms until the Markdown engine has loaded
            lines = console.render_lines(Text(source), options, pad=False)
        if self._refusal:
            lines += console.render_lines(Text(self._refusal, REFUSAL_STYLE), options, pad=False)
        if lines and self._gap:
            lines.insert(0, [])
        lines = lines[-room:]
        self._cache = (key, lines)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self._lines(console, options):
            yield from line
            yield Segment.line()


def _preview_source(source: str, room: int, width: int) -> str:
    """What the live preview renders of the open block, at a cost that does not grow with it
    (the final print is whole): the screen shows only its last ``room`` lines, so only the
    source of about those is laid out. When they fall inside a code fence its opening line is
    kept, inside a table its header (the preview's columns fit the rows on screen); a line
    longer than the screen holds shows its end."""
    line_start = source.rfind("\n") + 1
    if len(source) - line_start > 2 * room * width:
        end = source[-room * width :]
        space = end.find(" ")
        return end[space + 1 :] if 0 <= space < width else end
    if _start_of_last_lines(source, 2 * room) == 0:
        return source  # short enough to lay out whole
    start = _start_of_last_lines(source, room)
    before, tail = source[:start], source[start:]
    fences = list(_FENCE_LINE.finditer(before))
    if len(fences) % 2:  # the window starts inside a code fence: keep its opening line
        return fences[-1].group(0) + "\n" + tail
    table_start = _table_start(before)
    if table_start is not None:  # inside a table: keep its header and separator
        header_end = source.find("\n", source.find("\n", table_start) + 1) + 1
        return source[table_start:header_end] + tail
    return tail


_FENCE_LINE = re.compile(r"^ {0,3}(?:`{3,}|~{3,}).*$", re.MULTILINE)


def _table_start(before: str) -> int | None:
    """Where the table the text after ``before`` continues begins, if it continues one."""
    end = len(before)
    start = None
    while end > 0:
        line_start = before.rfind("\n", 0, end - 1) + 1
        if not before[line_start:end].lstrip().startswith("|"):
            break
        start, end = line_start, line_start
    return start


def _start_of_last_lines(text: str, count: int) -> int:
    """Where the last ``count`` lines of ``text`` begin (0: it has no more than that)."""
    end = len(text.rstrip("\n"))
    for _ in range(count):
        end = text.rfind("\n", 0, end)
        if end < 0:
            return 0
    return end + 1


class Waiting:
    """The line shown until the first piece: a spinner in rich's "dots" frames, then "waiting
    for the reply…".

    Drawn here rather than with rich.spinner, which imports rich.table (and with it fractions and
    decimal): 3 ms more before the first token, for one line of text.
    """

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
    SECONDS_PER_FRAME = 0.08

    def __init__(self) -> None:
        self._since = time.monotonic()

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        frame = int((time.monotonic() - self._since) / self.SECONDS_PER_FRAME) % len(self.FRAMES)
        yield Text.assemble((self.FRAMES[frame], "cyan"), " ", ("waiting for the reply…", "dim"))


class _Ticker(threading.Thread):
    """Redraws the live area at a bounded rate while a reply streams.

    rich's own refresh thread computes where to erase the live area under its lock but draws
    afterwards, so a block printed from the main thread during a redraw can leave a stale copy
    of the tail on screen. Every redraw and every print here happens under one lock instead.
    """

    def __init__(self, redraw: Callable[[], None], hz: float) -> None:
        super().__init__(name="writer-chat-live", daemon=True)
        self._redraw = redraw
        self._interval = 1.0 / hz
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._interval):
            self._redraw()

    def stop(self) -> None:
        self._stopped.set()
        if self is not threading.current_thread():
            self.join()


class _LiveTail(Live):
    """A Live whose print hook draws the tail as it is now.

    rich's Live redraws, after anything printed above it, the renderable of its last refresh;
    when finished blocks are printed and the tail shrinks in the same step, that drew the old
    tail (the blocks a second time, unfinished) until the next refresh.
    """

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        self._live_render.set_renderable(self.renderable)
        return super().process_renderables(renderables)


class MarkdownRenderer:
    """Rich Markdown: finished blocks are rendered once into the scrollback; only the open
    tail block is redrawn in a small live area (blocks printed once, the open tail redrawn)."""

    def __init__(self, console: Console, code_theme: str, *, code_hints: bool = False) -> None:
        self.console = console
        self._printer = BlockPrinter(console, code_theme, code_hints=code_hints)
        self._pending = ""
        self._refusal = ""
        self._live: Live | None = None
        self._ticker: _Ticker | None = None
        self._lock = threading.RLock()  # re-entrant: a trace line may be printed from under it
        self._waiting = True  # the spinner animates until the first piece arrives
        self._first_piece_shown = threading.Event()
        self._dirty = True
        self._line_length = 0  # characters of the open line so far
        self._raw_line = False  # an over-long line is being written as it arrives
        self._parse_at = 0  # the open block's size at which to look for its end again
        self._saved_suspend: object = None  # SIGTSTP's handler before this reply

    def _start_live(self, renderable: ConsoleRenderable) -> None:
        self._live = _LiveTail(
            renderable,
            console=self.console,
            transient=True,
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start(refresh=True)

    def start(self) -> None:
        _start_loading_markdown_engine(self._first_piece_shown)
        self._start_live(Waiting())
        self._catch_suspend()
        if debug.enabled():
            debug.print_above_live(self._trace)
        self._ticker = _Ticker(self.redraw, LIVE_REFRESH_HZ)
        self._ticker.start()

    def redraw(self) -> None:
        """Redraw the live area if anything changed since the last redraw (the ticker's job)."""
        with self._lock:
            if self._live is not None and self._dirty:
                self._live.refresh()
                self._dirty = self._waiting

    def feed(self, kind: str, text: str) -> None:
        text = sanitize.visible(text)
        if kind == "content":
            newline = text.rfind("\n")
            self._line_length = (
                len(text) - newline - 1 if newline >= 0 else self._line_length + len(text)
            )
            if self._raw_line or (newline < 0 and self._line_length > LONG_LINE):
                self._write_raw(text)
                return
        if kind == "refusal":
            self._refusal += text
        else:
            self._pending += text
        blocks: list[str] = []
        if kind == "content" and "\n" in text and self._time_to_parse(text):
            from chatbot.terminal.blocks import finished_blocks  # block ends move at line ends

            blocks, length = finished_blocks(self._pending)
            self._pending = self._pending[length:]
            self._parse_at = int(len(self._pending) * PARSE_GROWTH)
        with self._lock:
            if self._live is None:
                self._printer.print_blocks(blocks)
                return
            self._live.update(_Tail(self._printer, self._pending, self._refusal))
            if blocks:  # one write: erase the old tail, the blocks, the new tail (print hook)
                self._printer.print_blocks(blocks)
                self._dirty = False
            elif self._waiting:  # the first piece is drawn at once, later ones at the next tick
                self._live.refresh()
                self._dirty = False
            else:
                self._dirty = True
            self._waiting = False
            self._first_piece_shown.set()

    def _time_to_parse(self, text: str) -> bool:
        size = len(self._pending)
        fence = "```" in text or "~~~" in text  # a code fence may have closed: commit it now
        return fence or size < PARSE_EVERY_LINE_BELOW or size >= self._parse_at

    def _write_raw(self, text: str) -> None:
        """Write an over-long line as it arrives (each piece costs the same however long the
        line already is), then go back to live Markdown after it ends."""
        with self._lock:
            if not self._raw_line:  # the live tail goes; the line so far is written first
                self._raw_line = True
                if self._live is not None:
                    self._live.stop()
                    self._live = None
                if self._printer.printed_any:
                    text = "\n" + text
                text, self._pending = self._pending + text, ""
                self._printer.printed_any = True
            end = text.find("\n")
            line, rest = (text, "") if end < 0 else (text[: end + 1], text[end + 1 :])
            self.console.file.write(line)
            self.console.file.flush()
            if end < 0:
                return
            self._raw_line = False
            self._start_live(_Tail(self._printer, "", self._refusal))
        if rest:
            self._line_length = 0
            self.feed("content", rest)

    def _trace(self, line: str) -> None:
        with self._lock:
            self.console.print(Text(line), soft_wrap=True)

    def notice(self, text: str) -> None:
        # Printed through the live console (above the spinner) so the live area stays intact.
        with self._lock:
            self.console.print(Text(text, style="dim"))

    def _catch_suspend(self) -> None:
        """Ctrl-Z during the reply: the live area is erased before the process stops and drawn
        anew after ``fg``, below what the shell printed (else rich would move the cursor up
        over the shell's lines, and the unfinished part would show twice)."""
        suspend = getattr(signal, "SIGTSTP", None)
        if suspend is None or threading.current_thread() is not threading.main_thread():
            return
        try:
            self._saved_suspend = signal.signal(suspend, self._suspend)
        except (ValueError, OSError):
            self._saved_suspend = None

    def _suspend(self, signum: int, frame: object) -> None:
        with self._lock:  # the ticker draws nothing until the live area is drawn anew
            live = self._live
            if live is not None:
                self.console.control(live._live_render.position_cursor())  # erased, at its top
                live._live_render._shape = None  # nothing of it is on screen any more
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)  # stops here; goes on after fg (SIGCONT)
            signal.signal(signum, self._suspend)
            if live is not None:
                live.refresh()

    def _release_suspend(self) -> None:
        suspend = getattr(signal, "SIGTSTP", None)
        if suspend is not None and self._saved_suspend is not None:
            with contextlib.suppress(ValueError, OSError):
                # the saved handler is what signal.getsignal gave: a valid one to set again
                signal.signal(suspend, self._saved_suspend)  # type: ignore[arg-type]
            self._saved_suspend = None

    def finish(self, status: str) -> None:
        debug.print_above_live(None)
        self._release_suspend()
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        blocks: list[str] = []
        if self._pending.strip():
            from chatbot.terminal.blocks import all_blocks

            blocks = all_blocks(self._pending)
        self._pending = ""
        with self._lock:
            if self._live is not None:
                if blocks:  # through the live hook, in the same write as the tail's erasing
                    # (erased first, then printed: a frame between the two showed neither)
                    self._live.update(_Tail(self._printer, "", ""))  # the refusal follows
                    self._printer.print_blocks(blocks)
                    blocks = []
                self._live.stop()
                self._live = None
        if self._raw_line:
            self.console.file.write("\n")
            self._raw_line = False
        self._printer.print_blocks(blocks)
        shown = self._printer.printed_any or bool(self._refusal)
        if self._refusal:
            self.console.print(Text(self._refusal, REFUSAL_STYLE))
        note = STATUS_NOTES.get(status)
        if note and (shown or status != conversation.FAILED):
            self.console.print(Text(f"[{note}]", style="dim italic"))
