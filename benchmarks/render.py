"""CPU cost of streaming Markdown: writer-chat's renderer against a naive rich.Live loop.

Feeds 1k, 2k, 4k and 8k-token replies (headings, code, lists, tables, quotes; ~4 characters a
token) in 4-character deltas, as fast as they come, to a forced-terminal console of 100x40:
  ours   chatbot.render.MarkdownRenderer with its normal refresh policy (at most 15 Hz)
  ours*  the same, forced to redraw the live tail after every delta (the worst case)
  naive  Live(Markdown(text)) updated and redrawn on every delta (1k and 2k only: it grows with
         the square of the reply)
and prints CPU seconds (process time, all threads) and the ratios. Then one line of 10 MB with no
newline, in 1 KB deltas: the live renderer on a terminal against the plain renderer a pipe gets,
in the same process (target: within 3x), and at 1 MB (the cost per byte must not grow).

    uv run python benchmarks/render.py            # everything (about a minute)
    uv run python benchmarks/render.py --no-naive # ours only
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown

from chatbot.terminal.plain import PlainRenderer
from chatbot.terminal.render import MarkdownRenderer

SECTION = (Path(__file__).resolve().parents[1] / "tests" / "documents" / "generic.md").read_text()
DELTA = 4


def reply_of(tokens: int) -> str:
    parts, n = [], 0
    while sum(map(len, parts)) < tokens * 4:
        n += 1
        parts.append(SECTION.replace("## Getting started", f"## Part {n}: getting started", 1))
    return "\n".join(parts)[: tokens * 4]


def console() -> Console:
    return Console(
        file=io.StringIO(), force_terminal=True, width=100, height=40, color_system="truecolor"
    )


def deltas(text: str) -> list[str]:
    return [text[i : i + DELTA] for i in range(0, len(text), DELTA)]


def ours(text: str, *, redraw_every_delta: bool = False) -> float:
    pieces = deltas(text)
    start = time.process_time()
    renderer = MarkdownRenderer(console(), "monokai")
    renderer.start()
    for piece in pieces:
        renderer.feed("content", piece)
        if redraw_every_delta:
            renderer.redraw()
    renderer.finish("complete")
    return time.process_time() - start


def naive(text: str) -> float:
    pieces = deltas(text)
    start = time.process_time()
    accumulated = ""
    with Live(console=console(), auto_refresh=False) as live:
        for piece in pieces:
            accumulated += piece
            live.update(Markdown(accumulated), refresh=True)
    return time.process_time() - start


def long_line(megabytes: int) -> list[str]:
    text = "longword " * (megabytes * 1024 * 1024 // 9)
    return [text[i : i + 1024] for i in range(0, len(text), 1024)]


def feed_all(renderer: MarkdownRenderer | PlainRenderer, pieces: list[str]) -> float:
    start = time.process_time()
    renderer.start()
    for piece in pieces:
        renderer.feed("content", piece)
    renderer.finish("complete")
    return time.process_time() - start


def long_lines() -> None:
    ten, one = long_line(10), long_line(1)
    pipe = feed_all(PlainRenderer(io.StringIO(), io.StringIO()), ten)
    terminal = feed_all(MarkdownRenderer(console(), "monokai"), ten)
    terminal_1mb = feed_all(MarkdownRenderer(console(), "monokai"), one)
    print(
        f"\none 10 MB line: terminal {terminal:.3f} s CPU, pipe {pipe:.3f} s:"
        f" {terminal / pipe:.1f}x (target <= 3x)"
    )
    print(f"cost per byte at 10 MB / at 1 MB: {terminal / 10 / terminal_1mb:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    args = parser.parse_args()

    sizes = [1000, 2000, 4000, 8000]
    ours(reply_of(500))  # warm up: imports, lexers, caches
    ours_cpu = {size: ours(reply_of(size)) for size in sizes}
    worst = {size: ours(reply_of(size), redraw_every_delta=True) for size in sizes}
    print(
        f"{'tokens':>7} {'ours CPU s':>11} {'ms/token':>9} {'ours* CPU s':>12}"
        f" {'naive CPU s':>12} {'naive/ours':>11}"
    )
    naive_cpu: dict[int, float] = {}
    for size in sizes:
        line = (
            f"{size:>7} {ours_cpu[size]:>11.3f} {1000 * ours_cpu[size] / size:>9.3f}"
            f" {worst[size]:>12.2f}"
        )
        if size <= 2000 and not args.no_naive:
            naive_cpu[size] = naive(reply_of(size))
            line += f" {naive_cpu[size]:>12.2f} {naive_cpu[size] / ours_cpu[size]:>10.1f}x"
        print(line)
    per_token = {size: ours_cpu[size] / size for size in sizes}
    linearity = per_token[8000] / per_token[1000]
    print(f"\nours at 8k: {ours_cpu[8000]:.2f} s CPU (target <= 3 s)")
    print(f"cost per token at 8k / at 1k: {linearity:.2f}x (target <= 1.5x)")
    worst_linearity = (worst[8000] / 8000) / (worst[1000] / 1000)
    print(f"redrawing every delta, cost per token at 8k / at 1k: {worst_linearity:.2f}x")
    if 2000 in naive_cpu:
        speedup = naive_cpu[2000] / ours_cpu[2000]
        print(f"naive / ours at 2k: {speedup:.0f}x cheaper (target >= 30x)")
    long_lines()


if __name__ == "__main__":
    main()
