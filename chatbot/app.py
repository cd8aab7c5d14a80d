"""Wire the parts together for one run: the client, the consoles, and the chosen mode."""

from __future__ import annotations

import sys

from rich.console import Console

from chatbot.api import ChatParams, WriterClient
from chatbot.conversation import Conversation
from chatbot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK
from chatbot.render import MarkdownRenderer, PlainRenderer, Renderer
from chatbot.retry import RetryPolicy
from chatbot.settings import Settings
from chatbot.tty import keys_not_echoed
from chatbot.turn import TurnFailed, TurnInterrupted, run_turn


def chat_params(settings: Settings) -> ChatParams:
    return ChatParams(
        model=settings.model,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        top_p=settings.top_p,
        stop=settings.stop,
    )


def run(settings: Settings, message: str | None) -> int:
    """Send ``message`` once, or open the REPL when it is None; return the exit code."""
    client = WriterClient(
        settings.api_key,
        settings.base_url,
        settings.timeout,
        retry=RetryPolicy(retries=settings.retries),
    )
    try:
        if message is None:
            from chatbot.repl import run_repl

            return run_repl(
                client,
                chat_params(settings),
                settings.system,
                markdown=settings.markdown,
                console=Console(highlight=False),
                err_console=Console(stderr=True, highlight=False),
            )
        return run_one_shot(client, settings, message)
    finally:
        client.close()


def run_one_shot(client: WriterClient, settings: Settings, message: str) -> int:
    terminal = sys.stdout.isatty()
    renderer: Renderer
    if terminal and settings.markdown:
        renderer = MarkdownRenderer(Console(highlight=False))
    else:
        renderer = PlainRenderer(sys.stdout, sys.stderr, terminal=terminal)
    conversation = Conversation(system=settings.system)
    try:
        with keys_not_echoed():
            run_turn(client, chat_params(settings), conversation, message, renderer)
    except TurnInterrupted:
        return EXIT_INTERRUPTED
    except TurnFailed as failure:
        sys.stderr.write(f"writer-chat: error: {failure.error}\n")
        return EXIT_FAILURE
    return EXIT_OK
