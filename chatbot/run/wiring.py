"""The wiring of one run: the HTTP client (built lazily for the REPL), the request settings,
the history store and journal, the chat engine with its conversation, the renderer for each
reply, and Knowledge Graph names turned into ids."""

from __future__ import annotations

import dataclasses
import io
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatbot.debug import REDACTOR
from chatbot.engine.chat import Chat
from chatbot.engine.context import ContextBudget
from chatbot.engine.conversation import Conversation
from chatbot.engine.prices import Spend
from chatbot.engine.request import ChatParams
from chatbot.env import Env
from chatbot.errors import UsageError
from chatbot.store.journal import Journal

if TYPE_CHECKING:
    from rich.console import Console

    from chatbot.api.client import WriterClient
    from chatbot.config.settings import Settings
    from chatbot.engine.reply import ToolCall
    from chatbot.engine.tools import ToolSet
    from chatbot.store.database import Store
    from chatbot.terminal.plain import Renderer
    from chatbot.tools.mcp_hub import McpHub


def new_client(settings: Settings, env: Env) -> WriterClient:
    from chatbot.api.client import WriterClient
    from chatbot.api.retry import RetryPolicy

    return WriterClient(
        settings.api_key,
        settings.base_url,
        settings.timeout,
        retry=RetryPolicy(retries=settings.retries),
        environ=env.environ,
        proxy=settings.proxy,
    )


class LazyClient(threading.Thread):
    """The REPL's client and transport, built on a thread of its own (importing httpx) while
    the REPL draws its first prompt and the user types, with the Markdown engine loaded
    beside it, so neither the prompt nor the first reply waits."""

    def __init__(self, settings: Settings, env: Env) -> None:
        super().__init__(name="writer-chat-warm-up", daemon=True)
        self._settings = settings
        self._env = env
        self._client: WriterClient | None = None
        self._client_tried = threading.Event()

    def run(self) -> None:
        try:
            self._client = new_client(self._settings, self._env)
        except Exception:
            self._client = None
        finally:
            self._client_tried.set()
        if markdown_wanted(self._settings, self._env):
            from chatbot.terminal.render import warm_up

            warm_up(self._settings.code_theme)

    def client(self) -> WriterClient:
        """The client, waiting for it if the user was quicker than the import."""
        self._client_tried.wait()
        if self._client is None:
            self._client = new_client(self._settings, self._env)
        return self._client

    def stream(self, body: dict[str, Any]) -> Any:
        """The transport the chat uses: the client, once it is there."""
        return self.client().stream(body)

    def close(self) -> None:
        if self._client_tried.is_set() and self._client is not None:
            self._client.close()


def chat_params(settings: Settings) -> ChatParams:
    response_format = None
    if settings.schema is not None:
        from chatbot.inputs.schema import response_format as schema_format

        response_format = schema_format(settings.schema)
    return dataclasses.replace(
        settings.request,
        tools=settings.tools,
        response_format=response_format,
        stream=settings.stream,
    )


def open_history(settings: Settings, env: Env, warn: Callable[[str], None]) -> Store | None:
    """The history store, or None: --no-save, or a database that cannot be used (``warn`` says
    why, once, and the chat goes on without it)."""
    if not settings.save:
        if settings.continue_latest or settings.conversation_id:
            raise UsageError("--continue and --cid need saved history: drop --no-save")
        return None
    from chatbot.store.database import HistoryUnavailable, open_store

    try:
        store = open_store(env.data_dir, on_upgrade=warn)
    except HistoryUnavailable as problem:
        if settings.continue_latest or settings.conversation_id:
            raise  # nothing to continue from
        warn(f"history is off for this run: {problem}")  # the chat itself goes on
        return None
    store.wait_for_locks(CHAT_LOCK_WAIT_MS)  # a reply never waits on another process's lock,
    _replay_spooled(store, warn)  # nor on folding in what an earlier run kept (locked: later)
    return store


CHAT_LOCK_WAIT_MS = 50  # long enough for another writer's commit, short enough to go unseen


def _replay_spooled(store: Store, warn: Callable[[str], None]) -> None:
    """Messages an earlier run could not save (the history was locked) join it now."""
    from chatbot.store.replay import replay_spools

    try:
        written = replay_spools(store, store.path.parent)
    except Exception as problem:  # still locked, say: they wait for the next start
        warn(f"messages an earlier run kept aside are not in the history yet: {problem}")
        return
    if written:
        warn(f"{written} messages an earlier run could not save are now in the history")


def _saved_conversation(settings: Settings, store: Store) -> tuple[Conversation, str | None]:
    """The saved conversation -c / --cid continues, and the model it last used."""
    from chatbot.store.history import load_conversation

    if settings.conversation_id:
        conversation_id = store.resolve(settings.conversation_id)
    else:
        latest = store.latest()
        if latest is None:
            raise UsageError("no saved conversation to continue yet")
        conversation_id = latest
    conversation, info = load_conversation(store, conversation_id)
    return conversation, info.model


Ask = Callable[["ToolCall", str], bool]  # consent to one call, told where the tool is from


def tool_set(
    settings: Settings,
    env: Env,
    on_problem: Callable[[str], None],
    api: Callable[[], WriterClient],
    on_wait: Callable[[str], None] | None = None,
) -> tuple[ToolSet | None, McpHub | None]:
    """The functions this run offers: the --functions file's, Writer's web search beside a
    graph, and the tools of the MCP servers the config declares (none started yet)."""
    from chatbot.engine.tools import ToolBox, ToolSet
    from chatbot.tools.functions_file import FunctionBox

    boxes: list[ToolBox] = []
    if settings.functions is not None:
        boxes.append(FunctionBox.load(settings.functions))
    if settings.web_function is not None:
        from chatbot.tools.web_search import WebSearchFunction

        include, exclude = settings.web_function
        boxes.append(WebSearchFunction(api, list(include), list(exclude)))
    hub = None
    if settings.mcp_servers:
        from chatbot.api.mcp_http import mcp_client
        from chatbot.tools.mcp_hub import MISSING_SDK, McpHub, sdk_installed

        if settings.mcp_on and not sdk_installed():
            raise UsageError(MISSING_SDK)
        hub = McpHub(
            {spec.name: spec for spec in settings.mcp_servers},
            timeout=settings.timeout,
            log_dir=env.data_dir() / "mcp-logs",
            on_problem=on_problem,
            on_wait=on_wait,
            http_client=lambda url, headers: mcp_client(url, settings.proxy, headers, env.environ),
        )
        boxes.append(hub)
    return (ToolSet(boxes, clean=REDACTOR.text) if boxes else None), hub


def consent_for(tools: ToolSet | None, ask: Ask, everything: bool) -> Callable[[ToolCall], bool]:
    """--yes runs every call; a tool its MCP server's ``allow`` names runs; the rest are asked
    about (where there is no one to ask, refused)."""
    if everything or tools is None:
        return lambda call: everything
    return lambda call: tools.allowed(call.name) or ask(call, tools.origin(call.name))


def build_chat(
    settings: Settings,
    transport: Any,
    store: Store | None,
    ask: Ask,
    on_problem: Callable[[str], None],
    api: Callable[[], WriterClient] | None = None,
    on_wait: Callable[[str], None] | None = None,
    *,
    env: Env,
) -> tuple[Chat, Journal, McpHub | None]:
    """The chat engine for this run, with the journal watching it: a fresh conversation, or a
    saved one for -c / --cid, which goes on with its own model and system prompt unless a
    flag says otherwise. The MCP servers' hub comes with it, for /mcp and to close. ``api``:
    the client for Writer's other endpoints, when ``transport`` is not that client; ``on_wait``
    is told when a message waits for an MCP server to start."""
    functions, hub = tool_set(settings, env, on_problem, api or (lambda: transport), on_wait)
    journal = Journal(store, on_problem=on_problem)
    params = chat_params(settings)
    conversation = Conversation(system=settings.system)
    continuing = store is not None and (settings.continue_latest or settings.conversation_id)
    if continuing:
        assert store is not None
        conversation, model = _saved_conversation(settings, store)
        if model and "model" not in settings.flagged:
            params = dataclasses.replace(params, model=model)
    chat = Chat(
        transport,
        params,
        conversation,
        budget=ContextBudget(window_override=settings.context_window),
        functions=functions,
        consent=consent_for(functions, ask, settings.yes),
        tool_rounds=settings.tool_rounds,
        spend=Spend(dict(settings.prices)),
        watchers=[journal],
        max_cost=settings.max_cost,
        confirm_cost=settings.confirm_cost,
        redactor=REDACTOR,
    )
    if continuing and settings.system is not None and "system" in settings.flagged:
        chat.set_system(settings.system)
    if hub is not None:  # last: nothing above may fail and leave servers running
        hub.turn_on(settings.mcp_on)  # they start in the background while the user types
    return chat, journal, hub


def markdown_wanted(settings: Settings, env: Env) -> bool:
    return settings.markdown and env.stdout_isatty


def renderer_factory(
    settings: Settings, env: Env, console: Console | None, *, code_hints: bool = False
) -> Callable[[], Renderer]:
    """A new renderer for each request: nothing shown when the reply is printed whole as JSON,
    live Markdown on a terminal (rich is imported on first use), plain text otherwise.
    ``code_hints``: number the code blocks for /copy code N (the REPL)."""
    from chatbot.terminal.plain import PlainRenderer

    if settings.json_output or settings.schema is not None or settings.extract is not None:
        return lambda: PlainRenderer(io.StringIO(), env.stderr)
    if console is None or not markdown_wanted(settings, env):
        terminal = env.stdout_isatty
        return lambda: PlainRenderer(env.stdout, env.stderr, terminal=terminal, raw=settings.raw)

    def markdown() -> Renderer:
        from chatbot.terminal.render import MarkdownRenderer

        return MarkdownRenderer(console, settings.code_theme, code_hints=code_hints)

    return markdown
