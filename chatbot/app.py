"""Wire the parts together for one run: the client, the renderer, and the chosen mode.

rich and prompt_toolkit are imported only by the paths that draw with them, so a piped
one-shot run loads neither.
"""

from __future__ import annotations

import sys
import threading

from chatbot.api import ChatParams, WriterClient
from chatbot.conversation import Conversation
from chatbot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK
from chatbot.output import PlainRenderer, Renderer
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
    markdown = settings.markdown and sys.stdout.isatty()
    try:
        if message is None:
            return _run_repl(client, settings, markdown)
        if markdown:
            from rich.console import Console

            from chatbot.render import MarkdownRenderer

            renderer: Renderer = MarkdownRenderer(Console(highlight=False))
        else:
            renderer = _plain_renderer(settings)
        return run_one_shot(client, settings, message, renderer)
    finally:
        client.close()


def _plain_renderer(settings: Settings) -> PlainRenderer:
    return PlainRenderer(sys.stdout, sys.stderr, terminal=sys.stdout.isatty(), raw=settings.raw)


def _run_repl(client: WriterClient, settings: Settings, markdown: bool) -> int:
    from rich.console import Console

    from chatbot.repl import Repl

    console = Console(highlight=False)

    def new_renderer() -> Renderer:
        if not markdown:
            return _plain_renderer(settings)
        from chatbot.render import MarkdownRenderer

        return MarkdownRenderer(console)

    if markdown:
        threading.Thread(target=_warm_up, name="writer-chat-warm-up", daemon=True).start()

    repl = Repl(
        client,
        chat_params(settings),
        settings.system,
        new_renderer=new_renderer,
        console=console,
        err_console=Console(stderr=True, highlight=False),
    )
    return repl.run()


def _warm_up() -> None:
    """Load and prime the Markdown renderer while the user types the first message, so the
    first reply does not pay for it (the prompt is drawn without waiting for this)."""
    import io

    from rich.console import Console

    from chatbot.render import print_markdown

    sample = "# h\n\n- *a* `b`\n\n| x |\n|---|\n| 1 |\n\n```python\nx = 1\n```\n"
    print_markdown(Console(file=io.StringIO(), force_terminal=True, width=80), sample)


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
