"""Streaming a reply leaves exactly what rendering it whole would (docs/RENDERING-AND-SAFETY.md A3).

The bytes the live renderer writes, replayed through a terminal emulator (pyte, 100x40, with
scrollback), must leave the same text as a one-shot render of the whole reply.
"""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pyte
import pytest
from rich.console import Console

from chatbot.terminal.markdown import reply_markdown
from chatbot.terminal.render import MarkdownRenderer, print_markdown
from tests.terminal import ScrollbackScreen

DOCUMENTS = Path(__file__).with_name("documents")
WIDTH, HEIGHT = 100, 40


def long_document(sections: int = 25) -> str:
    """Several thousand tokens: the generic reply repeated with numbered headings."""
    generic = (DOCUMENTS / "generic.md").read_text()
    parts = [
        generic.replace("## Getting started", f"## Part {n}: getting started", 1)
        for n in range(1, sections + 1)
    ]
    return "\n".join(parts)


def console_to(buffer: io.StringIO) -> Console:
    return Console(
        file=buffer,
        force_terminal=True,
        width=WIDTH,
        height=HEIGHT,
        color_system="truecolor",
        highlight=False,
    )


def screen_text(output: str) -> list[str]:
    screen = ScrollbackScreen(WIDTH, HEIGHT, history=100_000)
    screen.set_mode(pyte.modes.LNM)
    pyte.Stream(screen).feed(output)
    history = ["".join(row[x].data for x in range(WIDTH)) for row in screen.history.top]
    lines = [line.rstrip() for line in [*history, *screen.display]]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def stream(text: str, seed: int, *, stop_at: int | None = None, status: str = "complete") -> str:
    buffer = io.StringIO()
    renderer = MarkdownRenderer(console_to(buffer), "monokai")
    renderer.start()
    rng = random.Random(seed)
    position, end = 0, len(text) if stop_at is None else stop_at
    while position < end:
        size = rng.randint(1, 12)
        renderer.feed("content", text[position : min(position + size, end)])
        position += size
    renderer.finish(status)
    return buffer.getvalue()


def whole(text: str) -> str:
    buffer = io.StringIO()
    print_markdown(console_to(buffer), text, "monokai")
    return buffer.getvalue()


def collapse_blank_runs(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return out


def long_blocks() -> str:
    """One reply of long single blocks (each far taller than the screen): a list, a table,
    lines joined by single breaks, a nested list and a code block, then a closing paragraph."""
    items = "\n".join(f"- item {n}: words about it" for n in range(200))  # past 4 KB
    table = "\n".join(
        ["| # | name | value |", "|---|---|---:|"]
        + [f"| {n} | row {n} | {n * 7} |" for n in range(80)]
    )
    poem = "\n".join(f"line {n} of the poem" for n in range(120))
    nested = "\n".join(f"{n}. step {n}\n   - detail {n}a\n   - detail {n}b" for n in range(1, 40))
    code = "\n".join(["```python", *(f"value_{n} = compute({n})" for n in range(120)), "```"])
    return "\n\n".join([items, table, poem, nested, code, "The end."]) + "\n"


CASES = {
    "generic": (DOCUMENTS / "generic.md").read_text(),
    "tricky": (DOCUMENTS / "tricky.md").read_text(),
    "long": long_document(),
    "long blocks": long_blocks(),
}


# Each run splits the reply at random sizes of 1 to 12 characters: thousands of split points
# in a long document, so two seeds there, three for the short ones.
SPLITS = [(name, seed) for name in CASES for seed in ((1, 2) if "long" in name else (1, 2, 3))]


@pytest.mark.parametrize(("name", "seed"), SPLITS)
def test_streamed_scrollback_equals_whole_render(name, seed):
    text = CASES[name]
    streamed = screen_text(stream(text, seed))
    assert streamed == screen_text(whole(text))
    assert len(streamed) > HEIGHT or name != "long"  # the long one really is taller than 40


def test_the_long_document_is_several_thousand_tokens():
    assert len(CASES["long"]) / 4 > 3000


@pytest.mark.parametrize("name", CASES)
def test_block_by_block_render_matches_richs_own_whole_render(name):
    """Printing block by block changes spacing only, never content, against rich rendering
    the whole text in one go."""
    buffer = io.StringIO()
    console_to(buffer).print(reply_markdown(CASES[name], "monokai"), crop=False)
    expected = collapse_blank_runs(screen_text(buffer.getvalue()))
    while expected and not expected[0]:
        expected.pop(0)
    assert collapse_blank_runs(screen_text(whole(CASES[name]))) == expected


def test_interrupted_stream_leaves_the_partial_text_once_and_a_marker():
    text = CASES["long"]
    cut = int(len(text) * 0.6)
    streamed = screen_text(stream(text, 7, stop_at=cut, status="interrupted"))
    assert streamed == [*screen_text(whole(text[:cut])), "[interrupted]"]


def test_cursor_is_shown_again_after_the_stream():
    output = stream(CASES["generic"], 4)
    assert output.rindex("\x1b[?25h") > output.rindex("\x1b[?25l")


def test_headings_appear_once_even_when_the_reply_is_far_taller_than_the_screen():
    lines = screen_text(stream(CASES["long"], 5))
    headings = [line for line in lines if re.search(r"Part \d+: getting started", line)]
    assert len(headings) == 25
    assert len(set(headings)) == 25
