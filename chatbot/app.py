"""Wire the parts together for one run: the client, the renderer, and the chosen mode."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console

from chatbot.api import ChatParams, WriterClient
from chatbot.conversation import Conversation
from chatbot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK
from chatbot.render import MarkdownRenderer, PlainRenderer, Renderer
from chatbot.retry import RetryPolicy
from chatbot.settings import Settings
from chatbot.tty import keys_not_echoed
from chatbot.turn import TurnFailed, TurnInterrupted, run_turn

RendererFactory = Callable[[], Renderer]


def chat_params(settings: Settings) -> ChatParams:
    return ChatParams(
        model=settings.model,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        top_p=settings.top_p,
        stop=settings.stop,
    )


def renderer_factory(settings: Settings, console: Console) -> RendererFactory:
    """Live Markdown on a terminal; plain text with --no-markdown, NO_COLOR, --raw or a pipe."""
    terminal = sys.stdout.isatty()
    if terminal and settings.markdown:
        return lambda: MarkdownRenderer(console)
    return lambda: PlainRenderer(sys.stdout, sys.stderr, terminal=terminal, raw=settings.raw)


def run(settings: Settings, message: str | None) -> int:
    """Send ``message`` once, or open the REPL when it is None; return the exit code."""
    client = WriterClient(
        settings.api_key,
        settings.base_url,
        settings.timeout,
        retry=RetryPolicy(retries=settings.retries),
    )
    console = Console(highlight=False)
    new_renderer = renderer_factory(settings, console)
    try:
        if message is None:
            from chatbot.repl import Repl

            repl = Repl(
                client,
                chat_params(settings),
                settings.system,
                new_renderer=new_renderer,
                console=console,
                err_console=Console(stderr=True, highlight=False),
            )
            return repl.run()
        return run_one_shot(client, settings, message, new_renderer())
    finally:
        client.close()


def run_one_shot(client: WriterClient, settings: Settings, message: str, renderer: Renderer) -> int:
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
