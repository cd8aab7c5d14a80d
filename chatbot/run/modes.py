"""Run writer-chat as the options say: the one place that picks the mode (REPL, one-shot,
JSON), wires the engine to its edges, and turns every failure into one line and an exit code.

Knows nothing of typer, so the console script can start a plain ``writer-chat "question"``
without importing it (see chatbot.cli.main). rich and prompt_toolkit are imported only by the
paths that draw with them, so a piped one-shot run loads neither.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chatbot import debug, outlet, sanitize
from chatbot.config.options import check_given, value
from chatbot.engine.chat import deliver
from chatbot.engine.conversation import INTERRUPTED, with_images
from chatbot.env import Env
from chatbot.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CommandLineError,
    ReaderGone,
    UsageError,
    WriterChatError,
)
from chatbot.run.wiring import (
    LazyClient,
    build_chat,
    markdown_wanted,
    new_client,
    open_history,
    renderer_factory,
)

if TYPE_CHECKING:
    from chatbot.config.settings import Settings
    from chatbot.engine.reply import Reply
    from chatbot.store.database import Store


def start(given: Mapping[str, Any], env: Env) -> int:
    """Run writer-chat with the options the user gave; return the exit code."""
    check_given(given)  # every bad value is a usage error before anything is sent or saved
    if value(given, "debug_trace") or env.get("WRITER_LOG").lower() == "debug":
        debug.enable(env.stderr, terminal=env.stderr_isatty)
    from chatbot.config.settings import dotenv_warning, resolve_from_sources
    from chatbot.inputs.prompt import one_shot_message

    warning = dotenv_warning(Path(env.cwd))
    if warning:
        _warn(env, f"warning: {warning}")
    stdin: TextIO | None = None if env.stdin_isatty else env.stdin
    if value(given, "json_output") and given.get("extract") is not None:
        raise UsageError("--json prints the whole reply as JSON, -x only its code: choose one")
    if given.get("force") and not given.get("save_template"):
        raise UsageError("--force goes with --save NAME (it replaces a template of that name)")
    if given.get("save_template"):
        from chatbot.run.template_use import save_from_flags

        return save_from_flags(given, env)
    if given.get("template"):
        from chatbot.run.template_use import with_template

        given, stdin = with_template(given, env)
        check_given(given, f"the template '{given['template']}'")  # merged under the flags
    elif given.get("params"):
        raise UsageError("-p gives a template's placeholders a value: it goes with -t NAME")
    settings, _ = resolve_from_sources(given, env)
    debug.remember_secret(settings.api_key)
    if given.get("graph"):
        import dataclasses

        from chatbot.api.knowledge_graphs import with_graph_ids

        tools = with_graph_ids(settings.tools, lambda: new_client(settings, env))
        settings = dataclasses.replace(settings, tools=tools)
    message = one_shot_message(
        " ".join(given.get("prompt", ())),
        stdin,
        max_bytes=value(given, "max_input"),
        encoding=value(given, "encoding"),
        files=[env.path(file) for file in value(given, "files")],
    )
    if message is not None and (clean := debug.redact_secrets(message)) != message:
        _warn(env, "the API key was in the message (stdin, -f or the prompt): cut out as ****")
        message = clean
    return run(settings, message, env)


def _attach(settings: Settings, env: Env, kind: str, argument: str) -> list[Any]:
    from chatbot.inputs.attach import Attacher  # loads with the first /file, /image or /run

    return Attacher(settings.proxy, settings.timeout, env)(kind, argument)


def _shell(
    settings: Settings,
    transport: Any,
    store: Store | None,
    request: str,
    env: Env,
    warn: Callable[[str], None],
) -> None:
    from chatbot.run.shell_assistant import shell_in_repl  # loads with the first /shell

    shell_in_repl(settings, transport, store, request, env, warn, build_chat)


def run(settings: Settings, message: str | None, env: Env) -> int:
    """Send ``message`` once, or open the REPL when it is None; return the exit code."""
    if message is None and (settings.json_output or settings.schema is not None):
        raise UsageError("--json and --json-schema print one reply: give a prompt")
    if message is None and settings.extract is not None:
        raise UsageError("-x prints the code of one reply: give a prompt (in the chat: /copy code)")
    if message is None and not env.stdout_isatty:
        raise UsageError(
            "the chat needs a terminal to show replies on, and stdout is not one: give a prompt"
            ' to write one reply there (writer-chat "…" > file), or pipe one in'
        )
    if settings.shell and message is None:
        raise UsageError('--shell needs a request: writer-chat --shell "find large files here"')
    from chatbot.terminal import signals

    with signals.installed():
        store = open_history(settings, env, lambda line: _warn(env, line))
        try:
            if settings.shell and message is not None:
                from chatbot.run.shell_assistant import run_shell

                client = new_client(settings, env)
                try:
                    warn = lambda t: _warn(env, t)  # noqa: E731
                    return run_shell(settings, client, store, message, env, warn, build_chat)
                finally:
                    client.close()
            if message is None:
                return _run_repl(settings, store, env)
            return _run_one_shot(settings, store, message, env)
        finally:
            if store is not None:
                store.close()


# the REPL


def _run_repl(settings: Settings, store: Store | None, env: Env) -> int:
    from rich.text import Text

    from chatbot.terminal.consent import cost_asker, repl_asker
    from chatbot.terminal.repl import Repl
    from chatbot.terminal.screen import terminal_console
    from chatbot.terminal.slash_commands import Session

    warmup = LazyClient(settings, env)
    warmup.start()
    console = terminal_console(env)
    err_console = terminal_console(env, stderr=True)

    def problem(text: str) -> None:
        err_console.print(Text(sanitize.visible(text), style="yellow"))

    from chatbot.config.settings import graph_query
    from chatbot.run.template_use import template_in_chat

    def find_graph(ref: str) -> tuple[str, str]:
        from chatbot.api.knowledge_graphs import graph_by_name  # with the first /graph NAME

        return graph_by_name(warmup.client(), ref)

    journal = hub = None
    try:
        chat, journal, hub = build_chat(
            settings,
            warmup,
            store,
            repl_asker(env),
            problem,
            api=warmup.client,
            on_wait=problem,
            env=env,
        )
        chat.ask_cost = cost_asker(env)
        session = Session(
            chat,
            journal,
            store,
            roles=dict(settings.roles),
            list_models=lambda: warmup.client().list_models(),
            find_graph=find_graph,
            use_template=lambda argument: template_in_chat(argument, env),
            attach=lambda kind, argument: _attach(settings, env, kind, argument),
            shell=lambda request: _shell(settings, warmup, store, request, env, problem),
            graph_query=graph_query(settings),
            mcp=hub,
            env=env,
        )
        if store is not None and chat.conversation.stored_id is not None:  # -c or --cid
            from chatbot.terminal.slash_commands import describe_continued

            info = store.info(chat.conversation.stored_id)
            session.continued = describe_continued(info.id, info.title, chat.conversation)
        repl = Repl(
            session,
            new_renderer=renderer_factory(settings, env, console, code_hints=True),
            console=console,
            err_console=err_console,
            image_parts=list(settings.image_parts),
        )
        return repl.run()
    finally:
        if journal is not None:
            journal.close()
        if hub is not None:
            hub.close()
        warmup.close()


# one reply


def _run_one_shot(settings: Settings, store: Store | None, message: str, env: Env) -> int:
    """One exchange; a failure is raised as the ApiError it was (the caller prints it)."""
    from chatbot.terminal.consent import asker_on_stdin
    from chatbot.terminal.view import ExchangeView, print_sources

    def say(text: str) -> None:
        _warn(env, sanitize.dropped(text))

    console = None
    if markdown_wanted(settings, env):
        from chatbot.terminal.screen import terminal_console

        console = terminal_console(env)
    # sources are in the JSON; code alone is what -x is for
    whole_json = settings.json_output or settings.schema is not None or settings.extract is not None

    def sources(lines: list[str]) -> None:
        if not whole_json:
            print_sources(lines, env.stdout, terminal=env.stdout_isatty)

    view = ExchangeView(renderer_factory(settings, env, console), say, sources, env)
    client = new_client(settings, env)
    on_wait = say if env.stderr_isatty else None  # a script's stderr gets only problems
    chat, journal, hub = build_chat(
        settings, client, store, asker_on_stdin(env), say, on_wait=on_wait, env=env
    )
    try:
        finished = deliver(
            chat.send(message, with_images(message, settings.image_parts)), [view, journal]
        )
    finally:
        view.close()
        journal.close()
        if hub is not None:
            hub.close()
        client.close()
    if finished.status == INTERRUPTED:
        from chatbot.terminal import signals

        return signals.exit_code() or EXIT_INTERRUPTED
    if finished.error is not None:
        raise finished.error
    if settings.extract is not None:
        return _print_code(env, finished.reply.content, settings.extract, settings.raw)
    if settings.json_output:
        _print_json(env, finished.reply.completion())
    elif settings.schema is not None:
        _print_checked_json(env, finished.reply, settings.schema)
    return EXIT_OK


def _print_code(env: Env, text: str, which: int, raw: bool) -> int:
    """-x: the reply's code blocks (0: all, a blank line between them) or the Nth, exactly as
    written (control characters dropped unless --raw), so it can go to a file and be run."""
    from chatbot.terminal.blocks import code_blocks

    blocks = code_blocks(text)
    if not blocks or which > len(blocks):
        count = f"{len(blocks)} code block{'s' if len(blocks) != 1 else ''}"
        said = f"has {count}, not {which}" if blocks else "has no code block"
        _warn(env, f"nothing printed: the reply {said}; here it is, on stderr")
        outlet.write(env.stderr, sanitize.dropped(text).rstrip("\n") + "\n", terminal=False)
        return EXIT_FAILURE
    chosen = blocks if which == 0 else [blocks[which - 1]]
    code = "\n".join(chosen)
    outlet.write(env.stdout, code if raw else sanitize.dropped(code), terminal=False)
    return EXIT_OK


def _print_json(env: Env, document: Any) -> None:
    indent = 2 if env.stdout_isatty else None
    text = json.dumps(document, indent=indent, ensure_ascii=False)
    outlet.write(env.stdout, sanitize.json_escaped(text) + "\n", terminal=env.stdout_isatty)


def _print_checked_json(env: Env, reply: Reply, schema: dict[str, Any]) -> None:
    from chatbot.inputs.schema import check_reply

    problem, checked = check_reply(reply.content, schema)
    if problem:
        raise WriterChatError(problem)
    _print_json(env, checked)


# exit codes


def _warn(env: Env, message: str) -> None:
    outlet.warn(env.stderr, message, terminal=env.stderr_isatty)


def _silence_stdout(env: Env) -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail on the closed pipe too."""
    if not env.is_process:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, env.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def run_guarded(env: Env, action: Callable[[], int]) -> int:
    """Run ``action``; every failure becomes one line on stderr and an exit code."""
    try:
        return _run(env, action)
    finally:
        debug.disable()


def _run(env: Env, action: Callable[[], int]) -> int:
    try:
        return action()
    except (BrokenPipeError, ReaderGone):  # the reader went away (| head): a quiet end, as for cat
        _silence_stdout(env)
        return EXIT_OK
    except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM / SIGHUP (chatbot.terminal.signals)
        return 128 + interrupt.signum if hasattr(interrupt, "signum") else EXIT_INTERRUPTED
    except CommandLineError as error:
        _warn(env, str(error))
        return error.exit_code
    except WriterChatError as error:
        _warn(env, f"error: {debug.redact(error.said('command line'))}")
        return error.exit_code
    except Exception as error:
        if debug.enabled():
            outlet.write(env.stderr, debug.redacted_traceback(), terminal=env.stderr_isatty)
        _warn(env, f"unexpected error: {type(error).__name__}: {debug.redact(str(error))}")
        return EXIT_FAILURE
