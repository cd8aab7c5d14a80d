"""``writer-chat --shell "REQUEST"`` and ``/shell REQUEST``: one command for the user's shell,
printed alone to a pipe, or shown on a terminal to execute, describe, revise, copy or abort.

Each exchange is a saved conversation like any other (the request, the command; the fixes asked
for), so ``history`` and ``-c`` show it.
"""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatbot import outlet, sanitize
from chatbot.engine.chat import Chat, deliver
from chatbot.engine.request import STRUCTURED_MODELS
from chatbot.engine.shell_request import (
    FIX_ROUNDS,
    RESPONSE_FORMAT,
    command_of,
    describe_request,
    destructive,
    fix_request,
    system_prompt,
)
from chatbot.env import Env
from chatbot.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from chatbot.config.settings import Settings
    from chatbot.store.database import Store
    from chatbot.store.journal import Journal


def user_shell(env: Env) -> str:
    """The user's shell ($SHELL), /bin/sh when it is not set."""
    return env.get("SHELL") or "/bin/sh"


def _structured_output(settings: Settings, asked_by: str) -> None:
    if settings.model not in STRUCTURED_MODELS:
        needed = " or ".join(STRUCTURED_MODELS)
        raise UsageError(f"{asked_by} needs {needed} (structured output)")


BuildChat = Callable[..., tuple[Chat, "Journal", Any]]  # chatbot.run.wiring.build_chat


def run_shell(
    settings: Settings,
    client: object,
    store: Store | None,
    request: str,
    env: Env,
    warn: Callable[[str], None],
    build_chat: BuildChat,
) -> int:
    """One shell request, from the command line."""
    _structured_output(settings, "--shell")
    chat, journal, _ = build_chat(
        _no_tools(settings), client, store, lambda *_: False, warn, env=env
    )
    try:
        return shell_exchange(chat, journal, request, env, settings.code_theme, yes=settings.yes)
    finally:
        journal.close()


def shell_in_repl(
    settings: Settings,
    transport: object,
    store: Store | None,
    request: str,
    env: Env,
    warn: Callable[[str], None],
    build_chat: BuildChat,
) -> None:
    """/shell REQUEST: the same exchange, saved as a conversation of its own (the chat's own
    conversation goes on unchanged)."""
    _structured_output(settings, "/shell")
    fresh = dataclasses.replace(settings, continue_latest=False, conversation_id=None)
    chat, journal, _ = build_chat(
        _no_tools(fresh), transport, store, lambda *_: False, warn, env=env
    )
    try:
        shell_exchange(chat, journal, request, env, settings.code_theme)
    finally:
        journal.close()


def _no_tools(settings: Settings) -> Settings:
    """A shell request is answered with one command: no built-in tool, no function."""
    return dataclasses.replace(
        settings, tools=(), web_function=None, functions=None, mcp_servers=(), mcp_on=()
    )


def shell_exchange(
    chat: Chat, journal: Journal, request: str, env: Env, theme: str, *, yes: bool = False
) -> int:
    """Ask for a command; on a terminal, let the user choose what to do with it. Into a pipe
    (``| sh``) it goes alone, but a destructive one only with ``--yes``: no one would see it
    before a shell ran it."""
    shell = user_shell(env)
    chat.set_system(system_prompt(Path(shell).name, platform.system(), Path(env.cwd).name))
    ask, fixes = request, 0
    while True:
        chat.set_params(response_format=RESPONSE_FORMAT)
        command = command_of(_reply(chat, journal, ask))
        if not env.stdout_isatty:
            danger = destructive(command)
            if danger and not yes:
                raise UsageError(
                    f"the command is {danger}: not printed into a pipe, where a shell could run"
                    f" it unseen: {sanitize.one_line(command, 120)} (--yes prints it anyway)"
                )
            outlet.write(env.stdout, command + "\n", terminal=False)  # alone, for a script
            return EXIT_OK
        following = _choose(chat, journal, command, env, theme, fixes < FIX_ROUNDS)
        if following is None:
            return EXIT_OK
        ask, is_fix = following
        fixes += is_fix


def _reply(chat: Chat, journal: Journal, text: str) -> str:
    """The model's answer to ``text`` (saved like a chat); its failure raised as it was."""
    finished = deliver(chat.send(text), [journal])
    if finished.error is not None:
        raise finished.error
    return finished.reply.content


def _choose(
    chat: Chat, journal: Journal, command: str, env: Env, theme: str, may_fix: bool
) -> tuple[str, bool] | None:
    """The user's choice for ``command``: what to ask the model next and whether it is a fix
    of a failed command (None: done)."""
    from chatbot.terminal import clipboard
    from chatbot.terminal import shell_screen as screen
    from chatbot.terminal.screen import terminal_console

    console = terminal_console(env)
    while True:
        screen.show_command(console, command, theme)
        key = screen.choose(env)
        if key == "a":
            console.print("not run", style="dim")
            return None
        if key == "c":
            console.print(f"copied to {clipboard.copy(command, env)}", style="dim")
        elif key == "d":
            chat.set_params(response_format=None)
            described = _reply(chat, journal, describe_request(command))
            console.print(sanitize.visible(described.strip()), style="dim", markup=False)
        elif key == "r":
            change = screen.ask_line(env, "what to change: ").strip()
            if change:
                return f"Change this command: {command}\nThe change: {change}", False
        elif key == "e":
            danger = destructive(command)
            if danger and not screen.confirm(env, f"this is {danger}: run it anyway?"):
                console.print("not run", style="dim")
                continue
            status, tail = screen.run(command, user_shell(env), env, lambda t: console.print(t))
            console.print(screen.status_line(status))
            chat.record_run(command, status)  # saved with the reply that gave the command
            asked = "send the command, its status and its error output for a fix?"
            if status != 0 and may_fix and screen.confirm(env, asked):
                return fix_request(command, status, tail), True
            return None
