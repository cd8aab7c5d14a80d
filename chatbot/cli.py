"""Command line entry point: parse flags, resolve settings, pick REPL or one-shot mode.

Heavy modules (httpx, rich, prompt_toolkit) are imported only once a mode needs them, so
``--version`` and usage errors stay fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chatbot import __version__, debug
from chatbot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, WriterChatError
from chatbot.inputs import DEFAULT_MAX_INPUT, one_shot_message
from chatbot.settings import (
    DEFAULT_MODEL,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    Settings,
    read_dotenv,
)

if TYPE_CHECKING:
    from chatbot.store import Store

PROG = "writer-chat"

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        print(f"{PROG} {__version__}")
        raise typer.Exit()


@app.command(
    help=(
        "Chat with Writer's Palmyra models. With no PROMPT and a terminal on stdin, opens an "
        "interactive chat; with a PROMPT, piped stdin, or both (PROMPT, a blank line, then "
        "stdin), prints one reply and exits."
    ),
    epilog=(
        "Examples: writer-chat | writer-chat 'explain TCP slow start' | "
        "cat notes.md | writer-chat 'summarise this' > summary.md"
    ),
)
def chat(
    prompt: Annotated[
        list[str] | None,
        typer.Argument(metavar="[PROMPT]...", help="The message to send (words are joined)."),
    ] = None,
    model: Annotated[
        str, typer.Option("--model", "-m", metavar="ID", help="Model id.")
    ] = DEFAULT_MODEL,
    system: Annotated[
        str | None,
        typer.Option("--system", "-s", metavar="TEXT", help="System prompt for the conversation."),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(min=0.0, max=2.0, metavar="X", help="Sampling temperature, 0 to 2."),
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Reply length limit in tokens.")
    ] = None,
    top_p: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, metavar="P", help="Nucleus sampling, 0 to 1.")
    ] = None,
    stop: Annotated[
        list[str] | None, typer.Option("--stop", metavar="TEXT", help="Stop sequence (repeatable).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="API base URL [env WRITER_BASE_URL; default https://api.writer.com].",
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            min=0.1, metavar="SECONDS", help="Wait this long to connect and between bytes."
        ),
    ] = DEFAULT_TIMEOUT,
    retries: Annotated[
        int,
        typer.Option(
            min=0, max=10, metavar="N", help="Retries before the reply starts (429, 5xx, network)."
        ),
    ] = DEFAULT_RETRIES,
    no_markdown: Annotated[
        bool, typer.Option("--no-markdown", help="Print replies as plain text.")
    ] = False,
    raw: Annotated[
        bool,
        typer.Option("--raw", help="Write the model's text unchanged, control characters too."),
    ] = False,
    max_input: Annotated[
        int,
        typer.Option(min=1, metavar="BYTES", help="Refuse piped input larger than this."),
    ] = DEFAULT_MAX_INPUT,
    encoding: Annotated[
        str, typer.Option(metavar="NAME", help="Encoding of piped input.")
    ] = "utf-8",
    allow_insecure_http: Annotated[
        bool,
        typer.Option(
            "--allow-insecure-http", help="Allow a plain http:// base URL that is not loopback."
        ),
    ] = False,
    continue_latest: Annotated[
        bool, typer.Option("--continue", "-c", help="Continue the latest saved conversation.")
    ] = False,
    cid: Annotated[
        str | None,
        typer.Option("--cid", metavar="ID", help="Continue a saved conversation (id prefix)."),
    ] = None,
    no_save: Annotated[
        bool, typer.Option("--no-save", help="Do not save this conversation.")
    ] = False,
    context_window: Annotated[
        int | None,
        typer.Option(
            min=64, metavar="TOKENS", help="Override the model's context window (for trimming)."
        ),
    ] = None,
    debug_trace: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Trace requests and responses on stderr (key redacted) [env WRITER_LOG].",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> int:
    from chatbot.settings import dotenv_warning, resolve_connection

    if debug_trace or os.environ.get("WRITER_LOG", "").lower() == "debug":
        debug.enable()
    warning = dotenv_warning(Path.cwd())
    if warning:
        sys.stderr.write(f"{PROG}: warning: {warning}\n")
    api_key, resolved_url = resolve_connection(
        base_url, os.environ, read_dotenv(Path.cwd()), allow_insecure_http=allow_insecure_http
    )
    debug.remember_secret(api_key)
    settings = Settings(
        api_key=api_key,
        base_url=resolved_url,
        model=model,
        system=system,
        temperature=temperature,
        max_tokens=max_tokens,
        top_p=top_p,
        stop=tuple(stop or ()),
        timeout=timeout,
        retries=retries,
        markdown=not (no_markdown or raw) and "NO_COLOR" not in os.environ,
        raw=raw,
        save=not no_save,
        continue_latest=continue_latest,
        conversation_id=cid,
        context_window=context_window,
    )
    message = one_shot_message(
        " ".join(prompt or ()), sys.stdin, max_bytes=max_input, encoding=encoding
    )
    from chatbot.app import run

    return run(settings, message)


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()
    return code


history_app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Saved conversations: list, show, export, search, remove.",
    invoke_without_command=True,
)


@history_app.callback()
def history_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="How many to list.")] = 20,
) -> None:
    """List saved conversations, newest first."""
    if ctx.invoked_subcommand is None:
        from chatbot.history import listing

        lines = listing(_store().conversations(limit=limit))
        print("\n".join(lines) if lines else "no saved conversations yet")


@history_app.command("show")
def history_show(conversation_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Print a conversation as Markdown."""
    from chatbot.history import print_markdown_or_text, show

    print_markdown_or_text(show(_store(), conversation_id, "md"))


@history_app.command("export")
def history_export(
    conversation_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Annotated[str, typer.Option("--format", metavar="md|json", help="Output format.")] = "md",
) -> None:
    """Write a conversation to stdout as Markdown or JSON."""
    from chatbot.history import show

    sys.stdout.write(show(_store(), conversation_id, fmt))


@history_app.command("search")
def history_search(text: Annotated[list[str], typer.Argument(metavar="TEXT...")]) -> None:
    """Find conversations whose prompts or replies contain TEXT."""
    from chatbot.history import listing
    from chatbot.sanitize import one_line

    found = _store().search(" ".join(text))
    for info, snippet in found:
        print(listing([info])[0])
        print(f"          {one_line(snippet, 100)}")
    if not found:
        print("no matches")


@history_app.command("rm")
def history_rm(conversation_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Delete a saved conversation."""
    store = _store()
    full = store.resolve(conversation_id)
    store.delete_conversation(full)
    print(f"removed {full[:8]}")


def _store() -> Store:
    from chatbot.store import default_store_path, open_store

    return open_store(default_store_path())


def run_cli(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code; never lets a traceback escape."""
    args = sys.argv[1:] if argv is None else argv
    command, rest, name = (app, args, PROG)
    if args[:1] == ["history"]:
        command, rest, name = history_app, args[1:], f"{PROG} history"
    try:
        result = command(args=rest, prog_name=name, standalone_mode=False)
    except typer.Abort:
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except WriterChatError as error:
        return _fail(f"error: {debug.redact(str(error))}", error.exit_code)
    except typer.TyperException as error:  # bad flags or arguments, from the parser
        message = error.format_message().replace("\n", " ")
        return _fail(f"{message} (see {PROG} --help)", EXIT_USAGE)
    except Exception as error:
        if debug.enabled():
            sys.stderr.write(debug.redacted_traceback())
        return _fail(
            f"unexpected error: {type(error).__name__}: {debug.redact(str(error))}", EXIT_FAILURE
        )
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run_cli())
