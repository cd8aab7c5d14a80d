"""REPL slash commands: they act on the session and are never sent to the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chatbot.conversation import Conversation


@dataclass
class Session:
    """What the REPL remembers between turns."""

    conversation: Conversation
    failed_input: str | None = None  # a message whose turn failed before any reply arrived


@dataclass(frozen=True)
class Outcome:
    """What the REPL should do after a command: show ``message``, then send ``resend``."""

    message: str = ""
    resend: str | None = None
    error: bool = False


Handler = Callable[[Session, str], Outcome]


@dataclass
class Command:
    name: str
    summary: str
    handler: Handler


@dataclass
class Commands:
    table: dict[str, Command] = field(default_factory=dict)

    def add(self, name: str, summary: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.table[name] = Command(name, summary, handler)
            return handler

        return register

    def run(self, line: str, session: Session) -> Outcome:
        name, _, argument = line.strip().partition(" ")
        command = self.table.get(name.lower())
        if command is None:
            return Outcome(
                f"unknown command {name}: /help lists them (start with // to send a message "
                "that begins with /)",
                error=True,
            )
        return command.handler(session, argument.strip())


COMMANDS = Commands()


@COMMANDS.add("/help", "list the commands")
def _help(session: Session, argument: str) -> Outcome:
    rows = [f"{c.name:<10} {c.summary}" for c in COMMANDS.table.values()]
    rows.append(f"{'exit':<10} leave (also quit, Ctrl-D, or Ctrl-C twice)")
    return Outcome("\n".join(rows))


@COMMANDS.add("/retry", "send your last message again, dropping the reply it got")
def _retry(session: Session, argument: str) -> Outcome:
    if session.failed_input is not None:
        text, session.failed_input = session.failed_input, None
        return Outcome(resend=text)
    text = session.conversation.pop_exchange()
    if text is None:
        return Outcome("nothing to retry yet", error=True)
    return Outcome(resend=text)


@COMMANDS.add("/undo", "remove the last exchange from the conversation")
def _undo(session: Session, argument: str) -> Outcome:
    session.failed_input = None
    text = session.conversation.pop_exchange()
    if text is None:
        return Outcome("nothing to undo", error=True)
    preview = " ".join(text.split())
    preview = preview if len(preview) <= 60 else preview[:59] + "…"
    return Outcome(f"removed: {preview}")
