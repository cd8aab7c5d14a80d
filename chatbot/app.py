"""Wire the parts together for one run: the client, the session, the renderer, the mode.

rich and prompt_toolkit are imported only by the paths that draw with them, so a piped
one-shot run loads neither.
"""

from __future__ import annotations

import dataclasses
import io
import json
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatbot import sanitize
from chatbot.commands import Session
from chatbot.context import ContextBudget
from chatbot.conversation import Conversation
from chatbot.errors import EXIT_INTERRUPTED, EXIT_OK, UsageError, WriterChatError
from chatbot.exchange import Toolset, run_exchange
from chatbot.images import with_images
from chatbot.journal import Journal
from chatbot.output import PlainRenderer, Renderer
from chatbot.request import ChatParams
from chatbot.settings import Settings
from chatbot.stream import Reply, ToolCall
from chatbot.tools import source_lines
from chatbot.turn import TurnFailed, TurnInterrupted

if TYPE_CHECKING:
    from rich.console import Console

    from chatbot.api import WriterClient


def chat_params(settings: Settings) -> ChatParams:
    return ChatParams(
        model=settings.model,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        top_p=settings.top_p,
        stop=settings.stop,
        tools=settings.tools,
        response_format=_response_format(settings),
    )


def _response_format(settings: Settings) -> dict[str, Any] | None:
    if settings.schema is None:
        return None
    from chatbot.schema import response_format

    return response_format(settings.schema)


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


def _toolset(
    settings: Settings, session: Session, confirm: Callable[[ToolCall], bool]
) -> Toolset | None:
    if settings.functions is None:
        return None
    from chatbot.tools import FunctionBox

    box = FunctionBox.load(settings.functions)
    tools = (*session.params.tools, *box.schemas())
    session.params = dataclasses.replace(session.params, tools=tools)
    return Toolset(box, confirm, settings.tool_rounds)


def run(settings: Settings, message: str | None) -> int:
    """Send ``message`` once, or open the REPL when it is None; return the exit code."""
    if message is None and (settings.json_output or settings.schema is not None):
        raise UsageError("--json and --json-schema print one reply: give a prompt")
    session = open_session(settings)
    try:
        if message is None:
            return _run_repl(session, settings)
        from chatbot.api import WriterClient

        client = WriterClient.from_settings(settings)
        try:
            return run_one_shot(client, session, settings, message)
        finally:
            client.close()
    finally:
        if session.journal.store is not None:
            session.journal.store.close()


class _Warmup(threading.Thread):
    """Builds the client (importing httpx) and loads the Markdown engine while the REPL draws
    its first prompt and the user types, so neither the prompt nor the first reply waits."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="writer-chat-warm-up", daemon=True)
        self._settings = settings
        self._client: WriterClient | None = None
        self._client_tried = threading.Event()

    def run(self) -> None:
        from chatbot.api import WriterClient

        try:
            self._client = WriterClient.from_settings(self._settings)
        except Exception:
            self._client = None
        finally:
            self._client_tried.set()
        if _markdown_wanted(self._settings):
            from chatbot.render import warm_up

            warm_up()

    def client(self) -> WriterClient:
        """The client, waiting for it if the user was quicker than the import."""
        self._client_tried.wait()
        if self._client is None:
            from chatbot.api import WriterClient

            self._client = WriterClient.from_settings(self._settings)
        return self._client

    def close(self) -> None:
        if self._client_tried.is_set() and self._client is not None:
            self._client.close()


def _plain_renderer(settings: Settings) -> PlainRenderer:
    return PlainRenderer(sys.stdout, sys.stderr, terminal=sys.stdout.isatty(), raw=settings.raw)


def _markdown_wanted(settings: Settings) -> bool:
    return settings.markdown and sys.stdout.isatty()


def renderer_factory(settings: Settings, console: Console | None) -> Callable[[], Renderer]:
    """A new renderer for each request: nothing shown when the reply is printed whole as JSON,
    live Markdown on a terminal (rich is imported on first use), plain text otherwise."""
    if settings.json_output or settings.schema is not None:
        return lambda: PlainRenderer(io.StringIO(), sys.stderr)
    if console is None or not _markdown_wanted(settings):
        return lambda: _plain_renderer(settings)

    def markdown() -> Renderer:
        from chatbot.render import MarkdownRenderer

        return MarkdownRenderer(console, settings.code_theme)

    return markdown


def _run_repl(session: Session, settings: Settings) -> int:
    from rich.console import Console

    from chatbot.repl import Repl, ask_to_run

    warmup = _Warmup(settings)
    warmup.start()
    console = Console(highlight=False)
    session.list_models = lambda: warmup.client().list_models()
    confirm = _always if settings.yes else ask_to_run
    repl = Repl(
        warmup.client,
        session,
        new_renderer=renderer_factory(settings, console),
        console=console,
        err_console=Console(stderr=True, highlight=False),
        toolset=_toolset(settings, session, confirm),
        image_parts=list(settings.image_parts),
    )
    try:
        return repl.run()
    finally:
        warmup.close()


def _always(call: ToolCall) -> bool:
    return True


def _ask_on_stdin(call: ToolCall) -> bool:
    if not sys.stdin.isatty():
        sys.stderr.write(
            f"writer-chat: not running {call.name}: no terminal to ask on (use --yes to allow)\n"
        )
        return False
    sys.stderr.write("run it? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _say(text: str) -> None:
    sys.stderr.write(f"writer-chat: {sanitize.dropped(text)}\n")
    sys.stderr.flush()


def run_one_shot(client: WriterClient, session: Session, settings: Settings, message: str) -> int:
    """One exchange; a failure is raised as the ApiError it was (the caller prints it)."""
    console = None
    if _markdown_wanted(settings):
        from rich.console import Console

        console = Console(highlight=False)
    confirm = _always if settings.yes else _ask_on_stdin
    try:
        reply = run_exchange(
            client,
            session,
            message,
            renderer_factory(settings, console),
            _say,
            toolset=_toolset(settings, session, confirm),
            parts=with_images(message, settings.image_parts),
        )
    except TurnInterrupted:
        return EXIT_INTERRUPTED
    except TurnFailed as failure:
        raise failure.error from None
    if settings.json_output:
        _print_json(reply.completion())
        return EXIT_OK
    if settings.schema is not None:
        return _print_checked_json(reply, settings.schema)
    print_sources(reply, sys.stdout)
    return EXIT_OK


def print_sources(reply: Reply, out: Any) -> None:
    """The reply's Knowledge Graph or web sources, numbered, after the reply."""
    lines = source_lines(reply.graph_data, reply.web_search_data)
    if lines:
        clean = sanitize.visible if out.isatty() else sanitize.dropped
        out.write("\nSources\n" + "".join(clean(line) + "\n" for line in lines))
        out.flush()


def _print_json(document: Any) -> None:
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(document, indent=indent, ensure_ascii=False) + "\n")


def _print_checked_json(reply: Reply, schema: dict[str, Any]) -> int:
    from chatbot.schema import check_reply

    problem, value = check_reply(reply.content, schema)
    if problem:
        raise WriterChatError(problem)
    _print_json(value)
    return EXIT_OK
