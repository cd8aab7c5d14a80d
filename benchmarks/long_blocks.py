"""One long Markdown block on a terminal against the same reply to a pipe.

A reply that is one growing block (a long list, a long table, lines joined by single line
breaks, a long code block) is fed in word-sized deltas to writer-chat's live Markdown renderer
on a forced-terminal console of 100x40. Its CPU time (process time, all threads) is compared,
in the same process, with laying the whole reply out once (print_markdown: what a terminal must
pay at the least, the pipe's cost plus Markdown), and the plain renderer a pipe gets is shown
beside. The goal: live / once stays flat as the block grows (linear cost) and under 3x.

    uv run python benchmarks/long_blocks.py              # the shapes at full size (~a minute)
    uv run python benchmarks/long_blocks.py --scale 0.2
    uv run python benchmarks/long_blocks.py --processes  # whole processes: a PTY against a pipe

With ``--processes`` each shape is the reply of the project's fake server to the real
``writer-chat`` program, once on a 100x40 pseudo-terminal (its output read as it comes) and once
into a pipe: wall time of each and their ratio (the issue's goal: the terminal within 1.5x).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import time

from rich.console import Console

from chatbot.terminal.plain import PlainRenderer
from chatbot.terminal.render import MarkdownRenderer, print_markdown, warm_up


def shapes(scale: float) -> dict[str, str]:
    def n(count: int) -> int:
        return max(10, int(count * scale))

    table = ["| # | name | value | note |", "|---|---|---:|---|"] + [
        f"| {i} | item {i} | {i * 7} | remark number {i} here |" for i in range(n(500))
    ]
    code = ["```python", *(f"value_{i} = compute({i}, 'x')" for i in range(n(3000))), "```"]
    return {
        f"a {n(1000):,}-item bullet list": "\n".join(
            f"- item {i}: words about it" for i in range(n(1000))
        ),
        f"a {n(500):,}-row table": "\n".join(table),
        f"{n(2000):,} lines, single breaks": "\n".join(
            f"line {i} of the poem" for i in range(n(2000))
        ),
        f"a {n(3000):,}-line code block": "\n".join(code),
    }


def pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [word + " " for word in words[:-1]] + [words[-1] + "\n"]


def _screen() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=100, height=40)


def _streamed(renderer: MarkdownRenderer | PlainRenderer, text: str) -> float:
    """CPU seconds to feed ``text`` to ``renderer`` piece by piece, start to finish."""
    start = time.process_time()
    renderer.start()
    for piece in pieces(text):
        renderer.feed("content", piece)
    renderer.finish("complete")
    return time.process_time() - start


def terminal(text: str) -> float:
    return _streamed(MarkdownRenderer(_screen(), "monokai"), text)


def once(text: str) -> float:
    console = _screen()
    start = time.process_time()
    print_markdown(console, text, "monokai")
    return time.process_time() - start


def pipe(text: str) -> float:
    return _streamed(PlainRenderer(io.StringIO(), io.StringIO()), text)


def whole_processes(scale: float) -> None:
    import pexpect
    from _common import WRITER_CHAT, FakeWriter, Script, env_for

    print(f"{'shape':<34} {'terminal':>9} {'pipe':>7} {'ratio':>7}")
    with FakeWriter() as fake:
        env = {**env_for(fake.url), "COLUMNS": "100", "LINES": "40"}
        for name, text in shapes(scale).items():
            fake.queue(Script(pieces=pieces(text)))
            started = time.monotonic()
            child = pexpect.spawn(WRITER_CHAT, ["--no-save", "go"], env=env, dimensions=(40, 100))
            while True:
                try:
                    child.read_nonblocking(65536, timeout=60)
                except pexpect.EOF:
                    break
            child.close()
            on_terminal = time.monotonic() - started
            fake.queue(Script(pieces=pieces(text)))
            started = time.monotonic()
            subprocess.run(
                [WRITER_CHAT, "--no-save", "go"], env=env, stdout=subprocess.PIPE, check=True
            )
            to_pipe = time.monotonic() - started
            ratio = on_terminal / to_pipe
            print(f"{name:<34} {on_terminal:>8.2f}s {to_pipe:>6.2f}s {ratio:>6.2f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size of each shape (1: full)")
    parser.add_argument("--processes", action="store_true", help="whole processes, PTY vs pipe")
    args = parser.parse_args()
    if args.processes:
        whole_processes(args.scale)
        return
    warm_up("monokai")
    print(f"{'shape':<34} {'live':>8} {'once':>8} {'live/once':>10} {'pipe':>7}")
    for name, text in shapes(args.scale).items():
        live, laid_out, to_pipe = terminal(text), once(text), pipe(text)
        ratio = live / max(laid_out, 1e-3)
        print(f"{name:<34} {live:>7.2f}s {laid_out:>7.2f}s {ratio:>9.1f}x {to_pipe:>6.2f}s")


if __name__ == "__main__":
    main()
