"""REPL slash commands: a table of small functions acting on the chat engine.

They are never sent to the model. What they change in the conversation they change through
the Chat's methods, which tell the history journal; the journal is only asked questions here.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chatbot.capped import size_text
from chatbot.engine.attachments import Attachment
from chatbot.engine.conversation import Conversation
from chatbot.engine.export import FORMATS, render
from chatbot.engine.params import PARAM, PARAMS, OutOfLimits, Param, check_param, checked
from chatbot.engine.request import VISION_MODEL
from chatbot.env import Env
from chatbot.errors import ApiError, UsageError, WriterChatError
from chatbot.paths import write_private
from chatbot.sanitize import one_line
from chatbot.tools.mcp_servers import FAILED
from chatbot.words import counted

if TYPE_CHECKING:
    from chatbot.engine.chat import Chat
    from chatbot.store.database import Store
    from chatbot.store.journal import Journal
    from chatbot.tools.mcp_hub import McpHub


@dataclass
class Session:
    """What the REPL steers: the chat engine, and what lives beside it between turns."""

    chat: Chat
    journal: Journal
    store: Store | None = None  # the history database (None: --no-save, or it is unusable)
    roles: dict[str, str] = field(default_factory=dict)  # named system prompts (config file)
    list_models: Callable[[], list[tuple[str, str]]] | None = None  # GET /v1/models
    continued: str = ""  # what -c/--cid continued: shown when the REPL opens
    model_names: list[str] = field(default_factory=list)  # from the last /models, for completion
    # A Knowledge Graph by name, id or id prefix -> (id, name); lists the graphs (GET /v1/graphs)
    find_graph: Callable[[str], tuple[str, str]] | None = None
    graph_query: dict[str, Any] = field(default_factory=dict)  # the graph tool's query_config
    graph_names: dict[str, str] = field(default_factory=dict)  # id -> name, as /graph found it
    # /template NAME [k=v ...] -> (system and request settings to use, its prompt to edit)
    use_template: Callable[[str], tuple[dict[str, Any], str | None]] | None = None
    # /file, /image, /run: (kind, argument) -> what to attach to the next message
    attach: Callable[[str, str], list[Attachment]] | None = None
    attachments: list[Attachment] = field(default_factory=list)  # for the next message
    shell: Callable[[str], None] | None = None  # /shell REQUEST: one command, to run or not
    mcp: McpHub | None = None  # the config's MCP servers (None: it declares none)
    env: Env = field(kw_only=True)  # the run's: paths, the editor, the clipboard


@dataclass(frozen=True)
class Outcome:
    """What the REPL should do after a command: show ``message``, copy, then send ``resend``."""

    message: str = ""
    resend: str | None = None
    error: bool = False
    clipboard: str | None = None
    quit: bool = False
    clear_screen: bool = False
    recall: str | None = None  # put in the input history, so Up at the prompt brings it back
    prefill: str | None = None  # the next prompt starts with this text, to edit and send
    replaces_last: bool = False  # the prefilled message, once sent, replaces the last exchange


Handler = Callable[[Session, str], Outcome]


@dataclass
class Command:
    name: str
    usage: str
    summary: str
    handler: Handler


@dataclass
class Commands:
    table: dict[str, Command] = field(default_factory=dict)

    aliases: dict[str, str] = field(default_factory=dict)

    def add(self, usage: str, summary: str, *aliases: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            name = usage.split()[0]
            self.table[name] = Command(name, usage, summary, handler)
            self.aliases.update(dict.fromkeys(aliases, name))
            return handler

        return register

    def run(self, line: str, session: Session) -> Outcome:
        name, _, argument = line.strip().partition(" ")
        name = name.lower()
        command = self.table.get(self.aliases.get(name, name))
        if command is None:
            known = [*self.table, *self.aliases]
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            guess = f"did you mean {close[0]}? " if close else ""
            return Outcome(
                f"unknown command {one_line(name, 40)}: {guess}/help lists them (start with //"
                " to send a message that begins with /)",
                error=True,
            )
        try:
            return command.handler(session, argument.strip())
        except WriterChatError as problem:  # a usage slip, or a history that cannot be read
            return Outcome(str(problem), error=True)


COMMANDS = Commands()


@COMMANDS.add("/help", "list the commands")
def _help(session: Session, argument: str) -> Outcome:
    rows = [f"{c.usage:<20} {c.summary}" for c in COMMANDS.table.values()]
    return Outcome("\n".join(rows))


@COMMANDS.add("/new", "start a new conversation (same model and system prompt)")
def _new(session: Session, argument: str) -> Outcome:
    session.chat.switch_to(Conversation(system=session.chat.conversation.system))
    return Outcome("new conversation")


@COMMANDS.add("/clear", "clear the screen and start a new conversation")
def _clear(session: Session, argument: str) -> Outcome:
    outcome = _new(session, argument)
    return Outcome(outcome.message, clear_screen=True)


@COMMANDS.add("/exit", "leave (also /quit, exit, quit, Ctrl-D)", "/quit")
def _exit(session: Session, argument: str) -> Outcome:
    return Outcome(quit=True)


@COMMANDS.add("/system [text|-]", "show or replace the system prompt (- removes it)")
def _system(session: Session, argument: str) -> Outcome:
    if not argument:
        current = session.chat.conversation.system
        return Outcome(f"system prompt: {current}" if current else "no system prompt")
    session.chat.set_system(None if argument == "-" else argument)
    return Outcome("system prompt removed" if argument == "-" else "system prompt replaced")


@COMMANDS.add("/model [id]", "show or change the model for the next messages")
def _model(session: Session, argument: str) -> Outcome:
    if not argument:
        return Outcome(f"model: {session.chat.params.model}")
    if not session.model_names and session.list_models is not None:
        # once: the models the API offers, so a typo is said now, not at the next send (when
        # the list cannot be had, the server says at the next message)
        with contextlib.suppress(ApiError):
            session.model_names = [model_id for model_id, _ in session.list_models()]
    if session.model_names and argument not in session.model_names:
        close = difflib.get_close_matches(argument, session.model_names, n=1, cutoff=0.6)
        guess = f"did you mean {close[0]}? " if close else ""
        return Outcome(
            f"unknown model {one_line(argument, 60)}: {guess}the API offers"
            f" {', '.join(session.model_names[:8])} (/models lists them); still"
            f" {session.chat.params.model}",
            error=True,
        )
    session.chat.set_params(model=argument)
    return Outcome(f"model: {argument}")


@COMMANDS.add("/graph [name|-]", "answer from a Knowledge Graph (- detaches it)")
def _graph(session: Session, argument: str) -> Outcome:
    from chatbot.engine.tools import graph_tool

    tools = list(session.chat.params.tools)
    current = next((t for t in tools if t.get("type") == "graph"), None)
    if not argument:
        if current is None:
            return Outcome("no Knowledge Graph attached (/graph NAME attaches one)")
        ids = current["function"]["graph_ids"]
        names = ", ".join(f"{session.graph_names.get(i, i[:8])} ({i[:8]})" for i in ids)
        return Outcome(f"answering from: {names}")
    if argument == "-":
        if current is None:
            return Outcome("no Knowledge Graph was attached")
        session.chat.set_params(tools=tuple(t for t in tools if t is not current))
        return Outcome("Knowledge Graph detached: the next messages go to the model alone")
    if any(t.get("type") == "web_search" for t in tools):
        raise UsageError(
            "this chat searches the web with Writer's built-in tool, and Writer takes one a"
            " request: for both, start with --graph NAME --web-search"
        )
    if session.find_graph is None:
        return Outcome("Knowledge Graphs are not available here", error=True)
    try:
        graph_id, name = session.find_graph(argument)
    except ApiError as problem:
        return Outcome(f"error: {problem}", error=True)
    session.graph_names[graph_id] = name
    subqueries = bool(current and current["function"].get("subqueries"))
    tool = graph_tool([graph_id], subqueries, session.graph_query or None)
    session.chat.set_params(tools=(*(t for t in tools if t is not current), tool))
    return Outcome(f"answering from the Knowledge Graph {one_line(name, 60)} ({graph_id[:8]})")


@COMMANDS.add("/mcp [name]", "list the MCP servers and their tools, or turn one on or off")
def _mcp(session: Session, argument: str) -> Outcome:
    hub = session.mcp
    if hub is None:
        return Outcome("no MCP servers in the config file (add a [mcp_servers.NAME] table)")
    if not argument:
        return Outcome("\n".join(_server_line(hub, name) for name in hub.names()))
    name = argument.strip()
    if name not in hub.names():
        raise UsageError(f"no MCP server '{name}' (known: {', '.join(hub.names())})")
    if hub.is_on(name):
        hub.turn_off(name)
        return Outcome(f"MCP server {name}: off; its tools leave the next message")
    from chatbot.tools.mcp_hub import MISSING_SDK, sdk_installed

    if not sdk_installed():
        raise UsageError(MISSING_SDK)
    hub.turn_on([name])
    return Outcome(f"MCP server {name}: starting; its tools join the next message")


def _server_line(hub: McpHub, name: str) -> str:
    state = hub.state(name)
    line = f"{name:<16} {state:<9}"
    if state == FAILED:
        return f"{line} {one_line(hub.problem(name), 100)}"
    tools = hub.tools_of(name)
    if tools:
        line += f" {counted(len(tools), 'tool')}: " + ", ".join(t for t, _ in tools)
    allow = sorted(hub.allowed_tools(name))
    if allow:
        line += f" (run without asking: {', '.join(allow)})"
    return one_line(line, 300) if len(line) > 300 else line


def _number(text: str, count: int, of_what: str = "") -> int:
    """A number from 1 to ``count`` typed after a slash command (``of_what``: "block",
    "exchange": how many there are, said in the error)."""
    try:
        return checked(int(text), int, 1, count)
    except ValueError as problem:  # OutOfLimits is a ValueError too
        said = problem if isinstance(problem, OutOfLimits) else "must be a number"
        there = f" (this conversation has {counted(count, of_what)})" if of_what else ""
        raise UsageError(f"N {said}{there}") from None


def _param(name: str, text: str) -> Any:
    """A request parameter typed after its slash command, checked against its row."""
    shown = name.replace("_", " ")
    try:
        value = PARAM[name].kind(text)
    except ValueError:
        raise UsageError(f"{shown} must be a number") from None
    try:
        return check_param(name, value)
    except OutOfLimits as problem:
        raise UsageError(f"{shown} {problem}") from None


@COMMANDS.add("/models", "list the models the API offers")
def _models(session: Session, argument: str) -> Outcome:
    if session.list_models is None:
        return Outcome("the model list is not available here", error=True)
    try:
        models = session.list_models()
    except ApiError as problem:
        return Outcome(f"error: {problem}", error=True)
    session.model_names = [model_id for model_id, _ in models]
    return Outcome("\n".join(f"{one_line(i, 60):<28} {one_line(n, 60)}" for i, n in models))


def _parameter_command(param: Param) -> None:
    """``/temperature``, ``/max-tokens``, ``/top-p``, ``/stop``: one per row of the parameter
    table (chatbot.engine.params), to show the value or set it (``-``: the server's default;
    a list parameter takes one value more each time, ``-`` clears it)."""
    name, shown = param.name, param.name.replace("_", " ")
    word = "/" + name.replace("_", "-")
    if param.many:
        usage, summary = f"{word} [text|-]", f"show the {shown} sequences, add one, or clear them"
    else:
        usage = f"{word} [{param.metavar.lower()}|-]"
        summary = f"show or set: {param.help.lower()[:-1]}"

    def command(session: Session, argument: str) -> Outcome:
        now = getattr(session.chat.params, name)
        if argument:
            if argument == "-":
                value = () if param.many else None
            elif param.many:
                value = (*now, argument)
            else:
                value = _param(name, argument)
            try:
                session.chat.set_params(**{name: value})
            except OutOfLimits as problem:
                raise UsageError(f"{shown} {problem}") from None
            now = getattr(session.chat.params, name)
        if now is None or now == ():
            return Outcome(f"{shown}: server default")
        if param.many:
            return Outcome(f"{shown}: " + ", ".join(repr(one_line(item, 40)) for item in now))
        return Outcome(f"{shown}: {now}")

    COMMANDS.add(usage, summary)(command)


for _row in PARAMS:
    if _row.name != "model":  # /model has a command of its own (it lists and completes)
        _parameter_command(_row)


@COMMANDS.add("/retry", "send your last message again, dropping the reply it got")
def _retry(session: Session, argument: str) -> Outcome:
    again = session.chat.retry()
    if again is None:
        return Outcome("nothing to retry yet", error=True)
    return Outcome(resend=again[0])


@COMMANDS.add("/undo [N]", "take back the last exchange (or the last N)")
def _undo(session: Session, argument: str) -> Outcome:
    have = session.chat.conversation.exchanges()
    if not have:
        return Outcome("nothing to undo", error=True)
    count = _number(argument, have, "exchange") if argument else 1
    removed = session.chat.undo(count)
    text = removed[0].content
    if count == 1:
        return Outcome(f"removed: {one_line(text, 60)} (Up brings it back to edit)", recall=text)
    said = f"removed {count} exchanges (Up brings back the first: {one_line(text, 40)})"
    return Outcome(said, recall=text)


def _last_message(session: Session) -> str | None:
    users = [turn for turn in session.chat.conversation.turns if turn.role == "user"]
    return users[-1].content if users else None


@COMMANDS.add("/edit-last", "take back your last message and its reply, to edit it and send")
def _edit_last(session: Session, argument: str) -> Outcome:
    last = _last_message(session)
    if last is None:
        return Outcome("no message to edit yet", error=True)
    return Outcome(
        "edit it, then Enter sends it in place of the last exchange (Ctrl-C keeps that as it was)",
        prefill=last,
        replaces_last=True,
    )


@COMMANDS.add("/template name [k=v]", "use a template: its system prompt, model, its prompt")
def _template(session: Session, argument: str) -> Outcome:
    if not argument:
        return Outcome("usage: /template NAME [name=value ...] (writer-chat templates lists them)")
    if session.use_template is None:
        return Outcome("templates are not available here", error=True)
    changes, prompt = session.use_template(argument)
    said = []
    if "system" in changes:
        session.chat.set_system(changes.pop("system"))
        said.append("system prompt")
    if changes:
        session.chat.set_params(**changes)
        said += [f"{key} {value}" for key, value in changes.items()]
    name = argument.split()[0]
    what = f"template {name}: " + (", ".join(said) if said else "nothing to change")
    if prompt is None:
        return Outcome(what)
    return Outcome(f"{what}; its prompt is ready to edit, Enter sends it", prefill=prompt)


def _attach(session: Session, kind: str, argument: str) -> Outcome:
    if session.attach is None:
        return Outcome("attachments are not available here", error=True)
    added = session.attach(kind, argument)
    session.attachments += added
    said = [f"{a.label} ({size_text(a.size)}, ~{a.tokens:,} tokens)" if a.text else a.label
            for a in added]  # fmt: skip
    shown = "; ".join(said[:5]) + (f"; and {len(said) - 5} more" if len(said) > 5 else "")
    count = len(session.attachments)
    return Outcome(
        f"attached {shown}: {counted(count, 'attachment')} {'goes' if count == 1 else 'go'}"
        " with your next message (/file - drops them)"
    )


@COMMANDS.add("/file path|url|-", "attach files, folders or web pages to your next message")
def _file(session: Session, argument: str) -> Outcome:
    if argument == "-":
        dropped, session.attachments = len(session.attachments), []
        return Outcome(f"dropped {counted(dropped, 'attachment')}")
    if not argument:
        if not session.attachments:
            return Outcome("nothing attached (/file PATH, /image PATH, /run COMMAND)")
        return Outcome("\n".join(f"attached: {a.label}" for a in session.attachments))
    return _attach(session, "file", argument)


@COMMANDS.add("/image path|url", "attach an image to your next message (palmyra-x5)")
def _image(session: Session, argument: str) -> Outcome:
    if not argument:
        return Outcome("usage: /image PATH or URL", error=True)
    if session.chat.params.model != VISION_MODEL:
        raise UsageError(f"images need {VISION_MODEL}, not {session.chat.params.model} (/model)")
    return _attach(session, "image", argument)


@COMMANDS.add("/run command", "run a shell command and attach its output to your next message")
def _run(session: Session, argument: str) -> Outcome:
    return _attach(session, "run", argument)


@COMMANDS.add("/shell request", "get one command for your shell, to execute, describe, revise")
def _shell(session: Session, argument: str) -> Outcome:
    if not argument:
        return Outcome("usage: /shell REQUEST (say what the command should do)", error=True)
    if session.shell is None:
        return Outcome("the shell assistant is not available here", error=True)
    session.shell(argument)
    return Outcome()


@COMMANDS.add("/fork [N]", "go on in a copy of this conversation (up to exchange N)")
def _fork(session: Session, argument: str) -> Outcome:
    conversation = session.chat.conversation
    refusal = session.journal.fork_refusal(conversation)
    if refusal is not None:
        raise UsageError(refusal)
    after = _number(argument, conversation.exchanges(), "exchange") if argument else None
    old = conversation.stored_id
    new = session.chat.fork(after).stored_id
    upto = "" if after is None else f" up to exchange {after}"
    if old is None or new is None:  # the history is behind: the copy is saved when it can be
        return Outcome(f"forked: now in a copy{upto} (saved once saving works)")
    return Outcome(
        f"forked: now in {new[:8]}, a copy of {old[:8]}{upto} (which stays as it was;"
        f" /load {old[:8]} goes back)"
    )


@COMMANDS.add("/edit", "write a message in $VISUAL or $EDITOR, then send it")
def _edit(session: Session, argument: str) -> Outcome:
    from chatbot.terminal.editor import edit_text

    text = edit_text(argument, session.env)
    if not text.strip():
        return Outcome("nothing saved: nothing sent")
    return Outcome(resend=text.rstrip("\n"))


@COMMANDS.add("/role [name]", "use a named system prompt from the config file")
def _role(session: Session, argument: str) -> Outcome:
    roles = session.roles
    if not argument:
        names = ", ".join(sorted(roles)) or "none (add [roles] to the config file)"
        return Outcome(f"roles: {names}")
    if argument not in roles:
        return Outcome(f"unknown role '{argument}': /role lists them", error=True)
    session.chat.set_system(roles[argument])
    return Outcome(f"system prompt: role '{argument}'")


@COMMANDS.add("/title text", "give this conversation a title in the history")
def _title(session: Session, argument: str) -> Outcome:
    title = one_line(argument, 120)
    if not title:
        return Outcome("usage: /title TEXT", error=True)
    if session.store is None:
        return Outcome("the history is off (--no-save): there is nothing to title", error=True)
    session.chat.set_title(title)
    return Outcome(f"title: {title}")


@COMMANDS.add("/history", "list recent saved conversations")
def _history(session: Session, argument: str) -> Outcome:
    from chatbot.store.history import listing

    store = session.store
    if store is None:
        return Outcome("history is off for this run", error=True)
    lines = listing(store.conversations(limit=15))
    return Outcome("\n".join(lines) if lines else "no saved conversations yet")


@COMMANDS.add("/load ID", "continue a saved conversation (a unique id prefix is enough)")
def _load(session: Session, argument: str) -> Outcome:
    from chatbot.store.history import load_conversation

    store = session.store
    if store is None:
        return Outcome("history is off for this run", error=True)
    if not argument:
        return Outcome("usage: /load ID (see /history)", error=True)
    conversation, info = load_conversation(store, store.resolve(argument))
    session.chat.switch_to(conversation)
    if info.model:
        session.chat.set_params(model=info.model)
    return Outcome(describe_continued(info.id, info.title, conversation))


def describe_continued(conversation_id: str, title: str, conversation: Conversation) -> str:
    """A saved conversation as it is picked up: its id, title, size and last exchange."""
    users = [t for t in conversation.turns if t.role == "user"]
    lines = [
        f"continuing {conversation_id[:8]} “{one_line(title, 60)}”:"
        f" {counted(len(users), 'exchange')}, {counted(len(conversation.turns), 'message')}"
    ]
    last = conversation.turns[conversation.turns.index(users[-1]) :] if users else []
    for message in last[:2]:
        who = "you" if message.role == "user" else "reply"
        lines.append(f"  {who}: {one_line(message.content, 90)}")
    return "\n".join(lines)


@COMMANDS.add("/save FILE [--force]", "write the conversation to FILE (.md, the default, or .json)")
def _save(session: Session, argument: str) -> Outcome:
    words = argument.split()
    force = "--force" in words
    name = " ".join(word for word in words if word != "--force")
    if not name:
        return Outcome("usage: /save FILE.md or /save FILE.json", error=True)
    path = session.env.path(name)
    if not path.suffix:
        path = path.with_name(path.name + ".md")
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        return Outcome("the file name must end in .md or .json", error=True)
    if path.exists() and not force:
        return Outcome(f"{path} exists already: /save {name} --force replaces it", error=True)
    chat = session.chat
    if not chat.conversation.turns:  # an empty file would say nothing was ever written
        why = " (your last message failed: /retry sends it again)" if chat.failed_input else ""
        return Outcome(f"nothing to save yet: the conversation is empty{why}", error=True)
    text = render(fmt, chat.conversation.stored_id, chat.params.model, chat.conversation)
    try:
        write_private(path, text)
    except OSError as problem:
        return Outcome(f"cannot write {path}: {problem.strerror}", error=True)
    return Outcome(f"saved {len(chat.conversation.turns)} messages to {path}")


@COMMANDS.add("/usage", "tokens and cost of the session and the last reply; context")
def _usage(session: Session, argument: str) -> Outcome:
    from chatbot.engine.prices import PRICES_AS_OF, dollars

    budget, model, spend = session.chat.budget, session.chat.params.model, session.chat.spend
    window = budget.window(model)
    full = budget.fullness(model)
    context = f"{full:.0%} of {window:,}" if full is not None else f"? of {window:,}"
    lines = [
        f"this session: {counted(spend.prompt, 'token')} in, {spend.completion:,} out,"
        f" {spend.said()}"
        + (" (~: a reply cut short, counted by estimate)" if spend.estimated else ""),
    ]
    if spend.last is not None:
        prompt, completion, amount = spend.last
        lines.append(
            f"last reply:   {counted(prompt, 'token')} in, {completion:,} out, {dollars(amount)}"
        )
    price = spend.prices.get(model)
    lines.append(
        f"{model}: ${price[0]:.2f} in, ${price[1]:.2f} out per million tokens"
        f" (list prices of {PRICES_AS_OF}, or the config's [prices])"
        if price
        else f"{model}: no price known; add it to the config's [prices] table"
    )
    lines.append(f"context: {context} tokens")
    return Outcome("\n".join(lines))


@COMMANDS.add("/copy [code [N]]", "copy the last reply, its last code block, or code block N")
def _copy(session: Session, argument: str) -> Outcome:
    replies = [t for t in session.chat.conversation.turns if t.role == "assistant"]
    if not replies:
        return Outcome("no reply to copy yet", error=True)
    text = replies[-1].content
    what, _, number = argument.partition(" ")
    if what == "code":
        from chatbot.terminal.blocks import code_blocks  # markdown-it: the parser the renderer uses

        blocks = code_blocks(text)
        if not blocks:
            return Outcome("the last reply has no code block", error=True)
        which = _number(number, len(blocks)) if number.strip() else len(blocks)
        text = blocks[which - 1]
    elif argument:
        return Outcome("usage: /copy, /copy code, or /copy code N", error=True)
    return Outcome(f"copied {len(text)} characters", clipboard=text)
