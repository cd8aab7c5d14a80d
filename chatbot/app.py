"""Wire the parts together for one run: the client, the session, the renderer, the mode.

rich and prompt_toolkit are imported only by the paths that draw with them, so a piped
one-shot run loads neither.
"""

from __future__ import annotations

import sys
import threading

from chatbot.api import ChatParams, WriterClient
from chatbot.commands import Session
from chatbot.context import ContextBudget
from chatbot.conversation import Conversation
from chatbot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, UsageError
from chatbot.journal import Journal
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


def open_session(settings: Settings) -> Session:
    """A fresh conversation, or a saved one for -c / --cid, with its journal."""
    store = None
    if settings.save:
        from chatbot.store import default_store_path, open_store

        store = open_store(default_store_path())
    session = Session(
        Conversation(system=settings.system),
        chat_params(settings),
        Journal(store),
        ContextBudget(window_override=settings.context_window),
        roles=dict(settings.roles),
    )
    if not (settings.continue_latest or settings.conversation_id):
        return session
    if store is None:
        raise UsageError("--continue and --cid need saved history: drop --no-save")
    from chatbot.history import load_conversation

    if settings.conversation_id:
        conversation_id = store.resolve(settings.conversation_id)
    else:
        conversation_id = store.latest()
        if conversation_id is None:
            raise UsageError("no saved conversation to continue yet")
    session.conversation, _ = load_conversation(store, conversation_id)
    session.journal.conversation_id = conversation_id
    if settings.system is not None:
        session.conversation.system = settings.system
        session.journal.system_changed(settings.system)
    return session


def run(settings: Settings, message: str | None) -> int:
    """Send ``message`` once, or open the REPL when it is None; return the exit code."""
    session = open_session(settings)
    client = WriterClient(
        settings.api_key,
        settings.base_url,
        settings.timeout,
        retry=RetryPolicy(retries=settings.retries),
    )
    markdown = settings.markdown and sys.stdout.isatty()
    try:
        if message is None:
            return _run_repl(client, session, settings, markdown)
        if markdown:
            from rich.console import Console

            from chatbot.render import MarkdownRenderer

            renderer: Renderer = MarkdownRenderer(Console(highlight=False), settings.code_theme)
        else:
            renderer = _plain_renderer(settings)
        return run_one_shot(client, session, message, renderer)
    finally:
        client.close()
        if session.journal.store is not None:
            session.journal.store.close()


def _plain_renderer(settings: Settings) -> PlainRenderer:
    return PlainRenderer(sys.stdout, sys.stderr, terminal=sys.stdout.isatty(), raw=settings.raw)


def _run_repl(client: WriterClient, session: Session, settings: Settings, markdown: bool) -> int:
    from rich.console import Console

    from chatbot.repl import Repl

    console = Console(highlight=False)

    def new_renderer() -> Renderer:
        if not markdown:
            return _plain_renderer(settings)
        from chatbot.render import MarkdownRenderer

        return MarkdownRenderer(console, settings.code_theme)

    if markdown:
        threading.Thread(target=_warm_up, name="writer-chat-warm-up", daemon=True).start()
    repl = Repl(
        client,
        session,
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


def run_one_shot(client: WriterClient, session: Session, message: str, renderer: Renderer) -> int:
    try:
        with keys_not_echoed():
            run_turn(
                client,
                session.params,
                session.conversation,
                message,
                renderer,
                journal=session.journal,
                budget=session.budget,
            )
    except TurnInterrupted:
        return EXIT_INTERRUPTED
    except TurnFailed as failure:
        sys.stderr.write(f"writer-chat: error: {failure.error}\n")
        return EXIT_FAILURE
    return EXIT_OK
