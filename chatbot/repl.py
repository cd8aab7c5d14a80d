"""The interactive loop: prompt_toolkit for input, one turn per message."""

from __future__ import annotations

import time
from collections.abc import Callable

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from rich.console import Console
from rich.text import Text

from chatbot import __version__
from chatbot.api import ChatParams, WriterClient
from chatbot.commands import COMMANDS, Session
from chatbot.conversation import Conversation
from chatbot.output import Renderer
from chatbot.paths import input_history_file
from chatbot.tty import keys_not_echoed
from chatbot.turn import TurnFailed, TurnInterrupted, run_turn

QUIT_WORDS = frozenset({"exit", "quit"})
DOUBLE_CTRL_C_SECONDS = 2.0


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        """Alt-Enter (Esc then Enter) inserts a newline instead of sending."""
        event.current_buffer.insert_text("\n")

    return bindings


def make_prompt() -> PromptSession[str]:
    return PromptSession(
        history=FileHistory(str(input_history_file())),
        key_bindings=_key_bindings(),
        prompt_continuation="… ",
        enable_open_in_editor=False,
    )


class Repl:
    def __init__(
        self,
        client: WriterClient,
        params: ChatParams,
        system: str | None,
        *,
        new_renderer: Callable[[], Renderer],
        console: Console,
        err_console: Console,
    ) -> None:
        self.client = client
        self.params = params
        self.new_renderer = new_renderer
        self.console = console
        self.err_console = err_console
        self.session = Session(Conversation(system=system))
        self._last_ctrl_c = float("-inf")

    def run(self) -> int:
        prompt = make_prompt()
        self.console.print(
            Text.assemble(
                (f"writer-chat {__version__}", "bold"),
                f" · {self.params.model} · exit or Ctrl-D to quit · Alt-Enter for a new line"
                " · /help",
                style="dim",
            )
        )
        while True:
            try:
                line = prompt.prompt([("bold ansicyan", "> ")])
            except KeyboardInterrupt:
                if self._second_ctrl_c():
                    return 0
                self.console.print(Text("(Ctrl-C again to quit)", style="dim"))
                continue  # the line is cleared
            except EOFError:
                return 0
            text = line.strip()
            if not text:
                continue
            if text.lower() in QUIT_WORDS:
                return 0
            if text.startswith("/") and not text.startswith("//"):
                self._command(text)
            else:
                self._turn(line[1:] if text.startswith("//") else line)

    def _second_ctrl_c(self) -> bool:
        now = time.monotonic()
        second = now - self._last_ctrl_c <= DOUBLE_CTRL_C_SECONDS
        self._last_ctrl_c = now
        return second

    def _command(self, text: str) -> None:
        outcome = COMMANDS.run(text, self.session)
        if outcome.message:
            style = "yellow" if outcome.error else "dim"
            self.console.print(Text(outcome.message, style=style))
        if outcome.resend is not None:
            self._turn(outcome.resend)

    def _turn(self, text: str) -> None:
        conversation = self.session.conversation
        before = len(conversation.turns)
        try:
            with keys_not_echoed():
                run_turn(self.client, self.params, conversation, text, self.new_renderer())
            self.session.failed_input = None
        except TurnInterrupted:
            pass  # the renderer has marked the partial reply; back to the prompt
        except TurnFailed as failure:
            self.err_console.print(Text(f"error: {failure.error}", style="red"))
            if len(conversation.turns) == before:  # nothing arrived: /retry resends it
                self.session.failed_input = text
            self.err_console.print(Text("/retry sends it again", style="dim"))
        except KeyboardInterrupt:
            pass  # Ctrl-C landed between two steps of the turn
        self.console.print()
