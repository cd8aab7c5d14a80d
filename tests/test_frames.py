"""What a person sees at every moment while a reply streams: the real program in a
pseudo-terminal, its output fed to a screen one read at a time, each screen checked."""

from __future__ import annotations

import re
import time

import pytest

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import Script
from tests.terminal import Terminal


def frames_until_exit(term: Terminal, timeout: float = 15) -> list[list[str]]:
    """The screen after every read until the program ends."""
    seen: list[list[str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if term.read_once():
            seen.append(list(term.screen.display))
        elif not term.child.isalive():
            break
    return seen


def test_the_waiting_line_moves_while_the_server_thinks(fake, home):
    fake.queue(Script(pieces=["Done."], first_byte_delay=2.5))
    term = Terminal([WRITER_CHAT, "question"], cli_env(home, fake.url), str(home / "work"))
    try:
        frames = frames_until_exit(term)
    finally:
        term.close()
    waiting = {row.strip() for frame in frames for row in frame if "waiting for the reply" in row}
    assert len(waiting) >= 3, waiting  # the spinner's frame changed at least three times
    assert "Done." in "\n".join(frames[-1])


def frames_document() -> str:
    """Long paragraphs, a table, a 60-line code block, emoji, CJK and right-to-left text;
    every line of prose unique, so a line seen twice on one screen is a drawing fault."""
    words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
        "golf", "hotel", "india", "juliet", "kilo", "lima",
    ]  # fmt: skip
    paragraphs = [
        " ".join(f"{words[(n + i) % len(words)]}{n}x{i}" for i in range(60)) for n in range(4)
    ]
    table = ["| name | value | note |", "|---|---:|---|"] + [
        f"| row{n} name | {n * 7} | remark number {n} here |" for n in range(8)
    ]
    code = ["```python", *(f"line_{n} = compute({n}, 'value {n}')" for n in range(60)), "```"]
    world = [
        "Families 👨‍👩‍👧‍👦 and flags 🇫🇷🇯🇵 sit beside café and naïve words here.",
        "中文段落在这里继续写下去，直到它足够长以便换行显示出来为止。日本語の文も少し。",  # noqa: RUF001
        "עברית: שורה מימין לשמאל עם מילים נוספות כדי לבדוק את התצוגה.",
    ]
    blocks = [
        "## Frames under test",
        paragraphs[0],
        paragraphs[1],
        "\n".join(table),
        "\n".join(code),
        paragraphs[2],
        "\n\n".join(world),
        paragraphs[3],
    ]
    return "\n\n".join(blocks) + "\n"


def prose(line: str) -> bool:
    text = line.strip()
    return len(text) >= 12 and sum(ch.isalpha() for ch in text) >= 6


def doubled_lines(term: Terminal) -> list[str]:
    seen: dict[str, int] = {}
    for line in term.lines():
        if prose(line):
            seen[line.strip()] = seen.get(line.strip(), 0) + 1
    return [line for line, count in seen.items() if count > 1]


@pytest.mark.parametrize(
    ("cols", "rows", "piece"),
    [(100, 30, 3), (100, 30, 400), (60, 20, 7), (60, 20, 400)],  # tiny pieces, big ones
)
def test_no_screen_shows_a_line_twice_while_a_reply_streams(fake, home, cols, rows, piece):
    text = frames_document()
    pause = 0.002 if piece < 100 else 0.02  # big pieces a little apart: many reads, even loaded
    fake.queue(
        Script(pieces=[text[i : i + piece] for i in range(0, len(text), piece)], delay=pause)
    )
    term = Terminal(
        [WRITER_CHAT, "doc"], cli_env(home, fake.url), str(home / "work"), cols=cols, rows=rows
    )
    faults: list[str] = []
    reads = 0
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if term.read_once():
                reads += 1
                doubled = doubled_lines(term)
                if doubled:
                    faults.append(f"read {reads}: {doubled[:2]}")
            elif not term.child.isalive():
                break
    finally:
        term.close()
    assert reads > 5  # the stream really arrived in many reads
    assert "line_59 = compute(59, 'value 59')" in term.text()
    assert faults == []


def test_a_resize_mid_stream_lays_out_what_follows_at_the_new_width(fake, home):
    paragraphs = [
        " ".join(f"para{n}word{i}" for i in range(40)) for n in range(12)
    ]  # each paragraph wraps over several lines at either width
    text = "\n\n".join(paragraphs) + "\n"
    fake.queue(Script(pieces=[text[i : i + 20] for i in range(0, len(text), 20)], delay=0.01))
    term = Terminal([WRITER_CHAT, "doc"], cli_env(home, fake.url), str(home / "work"), pty=True)
    try:
        term.wait_for("para2word")
        resized_at = len(term.raw)
        term.child.setwinsize(30, 60)  # the kernel sends SIGWINCH
        term.screen.resize(30, 60)
        term.cols = 60
        assert term.wait_exit() == 0
    finally:
        term.close()
    written = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", term.raw).decode()
    assert re.search(r"\S {2,}\r?\n", written) is None  # no line padded with spaces
    after = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", term.raw[resized_at:]).decode()
    last_paragraph = [row for row in after.splitlines() if "para11word" in row]
    assert last_paragraph and all(len(row.strip()) <= 60 for row in last_paragraph)
    assert sum(len(row.strip()) > 40 for row in last_paragraph) >= 2  # filled to the new width


def test_single_line_breaks_stay_line_breaks_live_and_after_the_reply(fake, home):
    haiku = ["An old silent pond", "A frog jumps into the pond", "Splash! Silence again."]
    pieces = [word + " " for word in haiku[0].split()] + ["\n" + haiku[1], "\n" + haiku[2]]
    fake.queue(Script(pieces=pieces, delay=0.05))
    term = Terminal([WRITER_CHAT, "a haiku"], cli_env(home, fake.url), str(home / "work"))
    try:
        frames = frames_until_exit(term)
    finally:
        term.close()
    for frame in frames:  # never two lines of the poem on one row, at any moment
        for row in frame:
            assert sum(line.split()[0] in row and line in row for line in haiku) <= 1, frame
    final = [row.strip() for row in frames[-1] if row.strip()]
    for line in haiku:
        assert line in final, final  # each line of the poem a row of its own at the end


@pytest.mark.parametrize("shape", ["list", "table", "lines"])
def test_a_long_single_block_never_shows_a_line_twice(fake, home, shape):
    body = {
        "list": [f"- item {n}: words about it here" for n in range(150)],
        "table": ["| # | name here | value |", "|---|---|---:|"]
        + [f"| {n} | row number {n} | {n * 7} |" for n in range(120)],
        "lines": [f"line {n} of the long poem" for n in range(150)],
    }[shape]
    text = "\n".join(body) + "\n\nThe closing paragraph comes after the block.\n"
    fake.queue(Script(pieces=[text[i : i + 40] for i in range(0, len(text), 40)], delay=0.001))
    term = Terminal([WRITER_CHAT, "go"], cli_env(home, fake.url), str(home / "work"), rows=30)
    faults: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if term.read_once():
                if doubled := doubled_lines(term):
                    faults.append(str(doubled[:2]))
            elif not term.child.isalive():
                break
    finally:
        term.close()
    assert "The closing paragraph comes after the block." in term.text()
    assert faults == []


def test_a_long_code_block_never_leaves_a_frame_without_it_when_it_ends(fake, home):
    code = "\n".join(f"value_{n} = compute({n})" for n in range(300))
    text = f"Intro line above.\n\n```python\n{code}\n```\n\nAfter the block.\n"
    fake.queue(Script(pieces=[text[i : i + 20] for i in range(0, len(text), 20)], delay=0.001))
    term = Terminal([WRITER_CHAT, "go"], cli_env(home, fake.url), str(home / "work"), rows=30)
    try:
        frames = frames_until_exit(term)
    finally:
        term.close()
    shown = [any("value_" in row for row in frame) for frame in frames]
    first = shown.index(True)
    assert all(shown[first:]), "a frame after the code appeared showed none of it"
    assert "After the block." in "\n".join(frames[-1])
