"""The interactive loop: prompt_toolkit for input, one turn per message."""

from __future__ import annotations

import sys

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from rich.console import Console
from rich.text import Text

from chatbot import __version__
from chatbot.api import ChatParams, WriterClient
from chatbot.conversation import Conversation
from chatbot.paths import input_history_file
from chatbot.render import MarkdownRenderer, PlainRenderer, Renderer
from chatbot.tty import keys_not_echoed
from chatbot.turn import TurnFailed, TurnInterrupted, run_turn

QUIT_WORDS = frozenset({"exit", "quit"})


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        """Alt-Enter (Esc then Enter) inserts a newline instead of sending."""
        event.current_buffer.insert_text("\n")

    return bindings


def make_session() -> PromptSession[str]:
    return PromptSession(
        history=FileHistory(str(input_history_file())),
        key_bindings=_key_bindings(),
        prompt_continuation="… ",
        enable_open_in_editor=False,
    )


def run_repl(
    client: WriterClient,
    params: ChatParams,
    system: str | None,
    *,
    markdown: bool,
    console: Console,
    err_console: Console,
) -> int:
    session = make_session()
    conversation = Conversation(system=system)
    console.print(
        Text.assemble(
            (f"writer-chat {__version__}", "bold"),
            f" · {params.model} · type exit or press Ctrl-D to quit, Alt-Enter for a new line",
            style="dim",
        )
    )
    while True:
        try:
            text = session.prompt([("bold ansicyan", "> ")])
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            break
        if not text.strip():
            continue
        if text.strip().lower() in QUIT_WORDS:
            break
        renderer: Renderer = (
            MarkdownRenderer(console)
            if markdown
            else PlainRenderer(sys.stdout, sys.stderr, terminal=True)
        )
        try:
            with keys_not_echoed():
                run_turn(client, params, conversation, text, renderer)
        except TurnInterrupted:
            pass  # the renderer has marked the partial reply; back to the prompt
        except TurnFailed as failure:
            err_console.print(Text(f"error: {failure.error}", style="red"))
        except KeyboardInterrupt:
            pass  # Ctrl-C landed between two steps of the turn
        console.print()
    return 0
