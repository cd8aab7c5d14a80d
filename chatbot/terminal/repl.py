"""The interactive loop: prompt_toolkit for input, one exchange per message, slash commands."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from rich.console import Console
from rich.text import Text

from chatbot import __version__, sanitize
from chatbot.capped import Refused, is_regular_file, open_file
from chatbot.engine.attachments import message_with, summary
from chatbot.engine.chat import deliver
from chatbot.engine.context import CONTEXT_WINDOWS
from chatbot.engine.conversation import EDITED, with_images
from chatbot.engine.costs import OverCost
from chatbot.env import Env
from chatbot.errors import ApiError, AuthenticationError
from chatbot.paths import input_history_file
from chatbot.terminal import clipboard, heap, signals
from chatbot.terminal.plain import Renderer
from chatbot.terminal.prompts import prompt_session
from chatbot.terminal.slash_commands import COMMANDS, Session
from chatbot.terminal.view import ExchangeView
from chatbot.tools.mcp_servers import STARTING

QUIT_WORDS = frozenset({"exit", "quit"})
CLEAR_WORD = "clear"  # as in a shell: /clear (the screen, and a new conversation)
DOUBLE_CTRL_C_SECONDS = 2.0


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        """Alt-Enter (Esc then Enter) inserts a newline instead of sending."""
        event.current_buffer.insert_text("\n")

    return bindings


HISTORY_LIMIT = 4 * 1024 * 1024  # bytes of the input history file read at the start


class _SavedInputs(FileHistory):
    """Up-arrow history in a file; a write that fails (disk full) is told once, never fatal."""

    def __init__(self, path: str, tell: Callable[[str], None]) -> None:
        super().__init__(path)
        self._tell: Callable[[str], None] | None = tell

    def load_history_strings(self) -> Iterable[str]:
        """The saved inputs, newest first, from the file's last ``HISTORY_LIMIT`` bytes only
        (a regular file only: a FIFO put there would hang every start). The format is
        prompt_toolkit's: each input's lines start with "+", a comment line between inputs."""
        try:
            file, size = open_file(Path(os.fsdecode(self.filename)), "the input history")
        except Refused:
            return []
        with file:
            file.seek(max(0, size - HISTORY_LIMIT))
            data = file.read(HISTORY_LIMIT)
        inputs: list[str] = []
        lines: list[str] = []
        for line in data.decode("utf-8", "replace").splitlines(keepends=True):
            if line.startswith("+"):
                lines.append(line[1:])
            elif lines:
                inputs.append("".join(lines)[:-1])
                lines = []
        if lines:
            inputs.append("".join(lines)[:-1])
        return list(reversed(inputs))

    def append_string(self, string: str) -> None:
        """``exit`` and ``quit`` are not kept: Up after a restart brings back a message."""
        if string.strip().lower() not in QUIT_WORDS:
            super().append_string(string)

    def store_string(self, string: str) -> None:
        try:
            super().store_string(string)
        except OSError as problem:
            if self._tell is not None:
                self._tell(f"input history not saved: {problem.strerror or problem}")
                self._tell = None


def _input_history(env: Env, err_console: Console) -> History:
    def tell(text: str) -> None:
        err_console.print(Text(text, style="yellow"))

    try:
        path = input_history_file(env)
        if not is_regular_file(path):
            raise OSError(0, f"{path} is not a regular file")
        return _SavedInputs(str(path), tell)
    except OSError as problem:  # a read-only or missing data directory: this session only
        tell(f"input history kept for this session only: {problem.strerror or problem}")
        return InMemoryHistory()


class CommandCompleter(Completer):
    """Completes slash command names, and model ids after ``/model`` (from the last
    ``/models``, or the models writer-chat knows the context windows of)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if text.startswith("/model "):
            typed = text[len("/model ") :]
            for name in self.session.model_names or list(CONTEXT_WINDOWS):
                if name.startswith(typed):
                    yield Completion(name, -len(typed))
            return
        if not text.startswith("/") or " " in text:
            return
        for name, command in COMMANDS.table.items():
            if name.startswith(text.lower()):
                yield Completion(name, -len(text), display_meta=command.summary)


class Repl:
    def __init__(
        self,
        session: Session,
        *,
        new_renderer: Callable[[], Renderer],
        console: Console,
        err_console: Console,
        image_parts: list[dict[str, Any]] | None = None,
    ) -> None:
        self.session = session
        self.console = console
        self.err_console = err_console
        self.view = ExchangeView(new_renderer, self._say, self._show_sources, session.env)
        self._image_parts = image_parts or []  # --image: sent with the first message
        self._last_ctrl_c = float("-inf")
        self._history: History | None = None
        self._prefill = ""  # /edit-last: the message to edit, in the next prompt
        self._replacing = False  # /edit-last: what is sent next replaces the last exchange

    def _toolbar(self) -> str:
        model = self.session.chat.params.model
        budget = self.session.chat.budget
        window = budget.window(model)
        full = budget.fullness(model)
        used = f"{full:.0%}" if full is not None else "0%"
        spend = self.session.chat.spend
        cost = f" · {spend.said()}" if spend.prompt or spend.completion else ""
        attached = self.session.attachments
        extra = ""
        if attached:  # what the next message will send, before it is paid for
            coming = self.session.chat.estimate(message_with("", attached)).said()
            extra = f" · attached: {summary(attached)}, {coming}"
        graph = self._graph_said() + self._mcp_said()
        return f" {model}{graph} · context {used} of {window:,} tokens{cost}{extra} · /help"

    def _mcp_said(self) -> str:
        """ " · mcp time, git…" while MCP servers are on (… still starting)."""
        hub = self.session.mcp
        if hub is None:
            return ""
        on = [
            name + ("…" if hub.state(name) == STARTING else "")
            for name in hub.names()
            if hub.is_on(name)
        ]
        return f" · mcp {sanitize.dropped(', '.join(on))[:40]}" if on else ""

    def _graph_said(self) -> str:
        """ " · graph handbook" when a Knowledge Graph answers (the name /graph found)."""
        for tool in self.session.chat.params.tools:
            if tool.get("type") == "graph":
                ids = tool.get("function", {}).get("graph_ids") or []
                names = [self.session.graph_names.get(i, str(i)[:8]) for i in ids]
                return f" · graph {sanitize.dropped(', '.join(names))[:40]}"
        return ""

    def run(self) -> int:
        self._history = _input_history(self.session.env, self.err_console)
        prompt = prompt_session(
            self.session.env,
            history=self._history,
            key_bindings=_key_bindings(),
            prompt_continuation="… ",
            completer=CommandCompleter(self.session),
            complete_while_typing=False,
            enable_open_in_editor=True,  # Ctrl-X Ctrl-E: edit in $VISUAL/$EDITOR, then send
            enable_suspend=True,  # Ctrl-Z suspends like any terminal program; fg redraws
            bottom_toolbar=self._toolbar,
            # The input area shows only what fits on the screen (and the toolbar below it):
            # it is erased when a message is sent, and the message printed whole instead.
            erase_when_done=True,
        )
        self.console.print(
            Text.assemble(
                (f"writer-chat {__version__}", "bold"),
                " · exit or Ctrl-D to quit · Alt-Enter for a new line · /help",
                style="dim",
            )
        )
        if self.session.continued:
            self.console.print(Text(sanitize.visible(self.session.continued), "dim"))
        while True:
            try:
                prefill, self._prefill = self._prefill, ""
                replacing, self._replacing = self._replacing, False
                line = prompt.prompt([("bold ansicyan", "> ")], default=prefill)
            except signals.Terminated as ended:
                return 128 + ended.signum
            except KeyboardInterrupt:
                draft = prompt.default_buffer.text
                self._echo(draft)  # what was typed stays readable, unsent
                if draft.strip() and self._history is not None:
                    self._history.append_string(draft)  # and Up brings it back
                if self._second_ctrl_c():
                    return 0
                self.console.print(Text("(Ctrl-C again to quit)", style="dim"))
                continue  # the line is cleared
            except EOFError:
                return 0
            self._echo(line)
            text = line.strip()
            if not text:
                continue
            if text.lower() in QUIT_WORDS:
                return 0
            if text.lower() == CLEAR_WORD:
                text = "/clear"
            if text.startswith("/") and not text.startswith("//"):
                if self._command(text):
                    return 0
            else:
                if replacing:  # the edited message goes out: the exchange it edits goes
                    self.session.chat.undo(why=EDITED)
                self._turn(line[1:] if text.startswith("//") else line)
            code = signals.exit_code()
            if code is not None:  # SIGTERM or SIGHUP during the reply: it is saved, now leave
                return code

    def _second_ctrl_c(self) -> bool:
        now = time.monotonic()
        second = now - self._last_ctrl_c <= DOUBLE_CTRL_C_SECONDS
        self._last_ctrl_c = now
        return second

    def _command(self, text: str) -> bool:
        """Run a slash command; whether the REPL should end. Ctrl-C cancels the command (a
        /run, a web page, a file being read), never the chat."""
        try:
            outcome = COMMANDS.run(text, self.session)
        except KeyboardInterrupt as interrupt:
            if isinstance(interrupt, signals.Terminated):  # SIGTERM or SIGHUP: the program ends
                raise
            self.console.print(Text(f"cancelled: {sanitize.visible(text)}", style="yellow"))
            return False
        if outcome.quit:
            return True
        if outcome.recall is not None and self._history is not None:
            self._history.append_string(outcome.recall)
        if outcome.prefill is not None:
            self._prefill = outcome.prefill
            self._replacing = outcome.replaces_last
        if outcome.clear_screen:
            self.console.clear()
        message = outcome.message
        if outcome.clipboard is not None:
            message += f" to {clipboard.copy(outcome.clipboard, self.session.env)}"
        if message:
            style = "yellow" if outcome.error else "dim"
            self.console.print(Text(message, style=style))
        if outcome.resend is not None:
            self._echo(outcome.resend)  # /edit's text, /retry's message: what is sent is shown
            self._turn(outcome.resend)
        return False

    def _echo(self, line: str) -> None:
        """The message as it was sent, every line of it, as the prompt showed it."""
        rows = sanitize.visible(line).split("\n")
        echo = Text.assemble(("> ", "bold cyan"), rows[0])
        for row in rows[1:]:
            echo.append("\n… ")
            echo.append(row)
        self.console.print(echo, soft_wrap=True)  # long lines are left to the terminal to wrap

    def _say(self, text: str) -> None:
        self.console.print(Text(sanitize.visible(text), style="dim"))

    def _show_sources(self, lines: list[str]) -> None:
        """As a one-shot shows them: a blank line, a heading, the numbered sources."""
        self.console.print()
        self.console.print(Text("Sources", style="bold"))
        for line in lines:
            self._say(line)

    def _turn(self, typed: str) -> None:
        session = self.session
        attached, session.attachments = session.attachments, []
        text = message_with(typed, attached)
        given_images = self._image_parts  # --image: sent with the first message
        images = given_images + [a.image for a in attached if a.image is not None]
        parts, self._image_parts = with_images(text, images), []
        try:
            exchange = session.chat.send(text, parts)
            finished = deliver(exchange, [self.view, session.journal])
            if finished.error is not None:
                said = finished.error.said("chat")
                self.err_console.print(Text(f"error: {sanitize.visible(said)}", style="red"))
                self.err_console.print(Text(_hint(finished.error), style="dim"))
        except OverCost as refused:  # nothing was sent: the message and its attachments wait
            self.err_console.print(Text(sanitize.visible(str(refused)), style="yellow"))
            self._prefill, session.attachments = typed, attached
            self._image_parts = given_images
            return
        except KeyboardInterrupt:
            pass  # a second Ctrl-C while the reply was being closed
        finally:
            self.view.close()
        self.console.print()
        heap.release_free_memory()


def _hint(error: ApiError) -> str:
    """What to do after a failed message: /retry, unless only something outside can mend it."""
    if isinstance(error, AuthenticationError):
        return (
            "the key cannot be changed from here: set WRITER_API_KEY (or its .env line, or"
            " writer-chat key set) and start writer-chat again; -c goes on with this chat"
        )
    return "/retry sends it again"
