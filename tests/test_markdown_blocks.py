"""Code blocks stay copyable: no padding added, long lines never hard-wrapped."""

from __future__ import annotations

import io
import re

from rich.console import Console

from chatbot.terminal.render import print_markdown

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def rendered(text: str, width: int = 80) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=width, color_system="truecolor")
    print_markdown(console, text, "monokai")
    return ANSI.sub("", buffer.getvalue())


def test_long_code_lines_are_written_whole_for_the_terminal_to_soft_wrap():
    long_line = "result = compute(" + ", ".join(f"argument_{i}" for i in range(12)) + ")"
    assert len(long_line) > 80
    out = rendered(f"Intro.\n\n```python\n{long_line}\n    indented()\n```\n")
    assert f"\n{long_line}\n" in out  # one line, no newline inserted, no left padding
    assert "\n    indented()\n" in out


def test_paragraphs_still_wrap_to_the_screen():
    words = " ".join(["word"] * 40)
    out = rendered(words)
    assert all(len(line) <= 80 for line in out.splitlines())


def test_code_inside_a_list_is_folded_to_fit_the_item():
    long_line = "x = " + " + ".join(["value"] * 30)
    out = rendered(f"- item\n\n  ```\n  {long_line}\n  ```\n")
    assert all(len(line) <= 80 for line in out.splitlines())


def test_the_live_preview_of_a_long_open_block_keeps_what_makes_it_that_block():
    from chatbot.terminal.render import _preview_source

    code = "intro\n\n```python\n" + "\n".join(f"x{i} = {i}" for i in range(100)) + "\n"
    table = "para\n\n| a | b |\n|---|---|\n" + "\n".join(f"| {i} | {i} |" for i in range(100))
    items = "\n".join(f"- item {i}" for i in range(100)) + "\n"
    assert _preview_source(code, 10, 100).splitlines()[:2] == ["```python", "x90 = 90"]
    assert _preview_source(table + "\n", 10, 100).splitlines()[:3] == [
        "| a | b |", "|---|---|", "| 90 | 90 |"
    ]  # fmt: skip
    assert _preview_source(items, 10, 100).splitlines() == [f"- item {i}" for i in range(90, 100)]
    assert _preview_source("short\ntext\n", 10, 100) == "short\ntext\n"
