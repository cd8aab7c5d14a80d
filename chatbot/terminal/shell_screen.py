"""The shell assistant on a terminal: the command shown (highlighted, made safe), one key to
choose what happens to it, and running it in the foreground with the terminal.

Running it is never done without a person's keypress; commands that match a destructive pattern
are asked about a second time. That is a guard against a slip, not a sandbox.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.syntax import Syntax
from rich.text import Text

from chatbot import debug, processes, sanitize
from chatbot.errors import UsageError
from chatbot.terminal.prompts import question_session

if TYPE_CHECKING:
    from chatbot.env import Env

CHOICES = "[e]xecute  [d]escribe  [r]evise  [c]opy  [a]bort"
KEYS = "edrca"
ERROR_TAIL = 4_000  # characters of a failed command's error output kept to send back


def show_command(console: Console, command: str, theme: str) -> None:
    """The command highlighted in the user's code theme, made safe like a reply."""
    safe = sanitize.visible(command)
    console.print(Syntax(safe, "bash", theme=theme, background_color="default", word_wrap=True))


def choose(env: Env, prompt: str = CHOICES) -> str:
    """One key: e, d, r, c or a (Enter, Ctrl-C or Ctrl-D: a)."""
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    bindings = KeyBindings()
    for key in KEYS:

        @bindings.add(key)
        def _chosen(event: KeyPressEvent, key: str = key) -> None:
            event.app.exit(result=key)

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        event.app.exit(result="a")

    try:
        return question_session(env, key_bindings=bindings).prompt(f"{prompt} ") or "a"
    except (EOFError, KeyboardInterrupt):
        return "a"


def ask_line(env: Env, prompt: str) -> str:
    try:
        return question_session(env).prompt(prompt)
    except (EOFError, KeyboardInterrupt):
        return ""


def confirm(env: Env, prompt: str) -> bool:
    return ask_line(env, f"{prompt} [y/N] ").strip().lower() in ("y", "yes")


def run(command: str, shell: str, env: Env, say: Callable[[str], None]) -> tuple[int, str]:
    """Run ``command`` with ``shell -c`` in the foreground: the terminal is its stdin and
    stdout (interactive commands work), the API key is not in its environment; its error
    output is shown as it comes and its tail kept, the key cut out of both. Returns the exit
    status (negative: a signal) and that tail."""
    try:
        process = processes.start(
            [shell, "-c", command],
            environ=env.environ,
            cwd=env.cwd,
            what="the command",
            foreground=True,
            stderr=subprocess.PIPE,
        )
    except UsageError as refused:
        say(str(refused))
        return 127, ""
    except OSError as problem:
        say(f"cannot run {shell}: {problem.strerror or problem}")
        return 127, ""
    tail: list[str] = []
    cut = debug.REDACTOR.stream()

    def copy_errors() -> None:
        assert process.stderr is not None
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pipe = process.stderr.fileno()
        for raw in iter(lambda: os.read(pipe, 4096), b""):
            show(cut.feed(decoder.decode(raw)))
        show(cut.feed(decoder.decode(b"", final=True)) + cut.flush())

    def show(text: str) -> None:
        if not text:
            return
        env.stderr.write(text)
        env.stderr.flush()
        tail.append(text)
        while sum(map(len, tail)) > ERROR_TAIL and len(tail) > 1:
            tail.pop(0)

    copier = threading.Thread(target=copy_errors, daemon=True)
    copier.start()
    try:
        status = process.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches the command too (same terminal): wait for it
        status = process.wait()
    copier.join(timeout=1)
    return status, "".join(tail)[-ERROR_TAIL:]


def status_line(status: int) -> Text:
    if status == 0:
        return Text("exit status 0", style="dim")
    return Text(f"exit status {status}", style="yellow")
