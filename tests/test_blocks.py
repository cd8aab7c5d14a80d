"""Where a growing Markdown reply stops being final."""

from __future__ import annotations

import pytest

from chatbot.terminal.blocks import code_blocks, finished_blocks


@pytest.mark.parametrize(
    ("text", "final"),
    [
        ("para one\n\npara two", ""),  # the last line is not whole yet
        ("para one\n\npara two\n", "para one\n\n"),
        ("```py\nx = 1\n\n# not a heading\n\ny\n", ""),  # an open fence is never final
        ("```py\nx\n```\nafter\n", "```py\nx\n```\n"),
        ("# Title\nbody\n", "# Title\n"),
        ("- a\n  - nested\n- b\n\npara\n", "- a\n  - nested\n- b\n\n"),
        ("Title\n", ""),  # may still become a setext heading
        ("Title\n=====\nbody\n", "Title\n=====\n"),
        ("| a | b |\n|---|---|\n| 1 | 2 |\n", ""),  # a table may still grow
        ("| a | b |\n|---|---|\n| 1 | 2 |\n\nnext\n", "| a | b |\n|---|---|\n| 1 | 2 |\n\n"),
        ("no newline at all", ""),
    ],
)
def test_finished_prefix(text, final):
    blocks, length = finished_blocks(text)
    assert text[:length] == final == "".join(blocks)


def test_code_blocks_finds_fences_anywhere_and_ignores_inline_code():
    text = (
        "Use `ls` here.\n\n```sh\nls -la\n```\n\n- step\n\n  ~~~py\n  x = 1\n  ~~~\n\n"
        "A line with ``` inside it.\n"
    )
    assert code_blocks(text) == ["ls -la\n", "x = 1\n"]


def test_a_fence_is_final_as_soon_as_its_closing_line_arrives():
    from chatbot.terminal.blocks import finished_blocks

    text = "Intro\n\n```python\nx = 1\n```\n"
    assert finished_blocks(text) == (["Intro\n\n", "```python\nx = 1\n```\n"], len(text))
    assert finished_blocks("```python\nx = 1\n") == ([], 0)  # still open
    nested = "````md\n```\ninner\n```\n"  # a shorter fence inside does not close it
    assert finished_blocks(nested) == ([], 0)
    assert finished_blocks(nested + "````\n")[0] == [nested + "````\n"]
