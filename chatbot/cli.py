"""Command line entry point: parse flags, resolve settings, pick REPL or one-shot mode.

Heavy modules (httpx, rich, prompt_toolkit) are imported only once a mode needs them, so
usage errors stay fast (``--version`` and ``--help`` never get here: see chatbot.entry).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chatbot import __version__, debug
from chatbot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, WriterChatError
from chatbot.inputs import DEFAULT_MAX_INPUT, one_shot_message

if TYPE_CHECKING:
    from chatbot.settings import Settings

PROG = "writer-chat"
CONNECTION, MODEL, CONVERSATION, INPUT, OUTPUT = (
    "Connection",
    "Model",
    "Conversation",
    "Input",
    "Output",
)

app = typer.Typer(
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        print(f"{PROG} {__version__}")
        raise typer.Exit()


EPILOG = """\
[b]Examples[/b]

  writer-chat                                  [dim]# chat (/help lists the commands)[/dim]
  writer-chat "explain TCP slow start"         [dim]# one reply, then exit[/dim]
  cat notes.md | writer-chat "summarise this"  [dim]# prompt, blank line, stdin[/dim]
  writer-chat -f main.py "find the bug"        [dim]# add files to the prompt[/dim]
  writer-chat -c "and in Rust?"                [dim]# continue the latest chat[/dim]
  writer-chat --role reviewer -f diff.patch    [dim]# a system prompt from config[/dim]
  writer-chat history                          [dim]# show, export, search, rm[/dim]
  writer-chat config init                      [dim]# create the config file[/dim]

Exit codes: 0 success, 1 API or network failure, 2 usage or config error,
130 interrupted.
"""


@app.command(
    help=(
        "Chat with Writer's Palmyra models. With no PROMPT and a terminal on stdin, opens an "
        "interactive chat; with a PROMPT, piped stdin or --file, prints one reply and exits."
    ),
    epilog=EPILOG,
)
def chat(
    prompt: Annotated[
        list[str] | None,
        typer.Argument(metavar="[PROMPT]...", help="The message to send (words are joined)."),
    ] = None,
    # connection
    base_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="API base URL \\[env WRITER_BASE_URL; default https://api.writer.com].",
            rich_help_panel=CONNECTION,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            metavar="SECONDS",
            rich_help_panel=CONNECTION,
            help="Wait this long to connect and between bytes \\[default 60].",
        ),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=10,
            metavar="N",
            rich_help_panel=CONNECTION,
            help="Retries before the reply starts: 429, 5xx, network \\[default 2].",
        ),
    ] = None,
    allow_insecure_http: Annotated[
        bool,
        typer.Option(
            "--allow-insecure-http",
            rich_help_panel=CONNECTION,
            help="Allow a plain http:// base URL that is not loopback.",
        ),
    ] = False,
    # model
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            metavar="ID",
            rich_help_panel=MODEL,
            help="Model id \\[default palmyra-x5].",
        ),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=2.0,
            metavar="X",
            rich_help_panel=MODEL,
            help="Sampling temperature, 0 to 2.",
        ),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(
            min=1, metavar="N", rich_help_panel=MODEL, help="Reply length limit in tokens."
        ),
    ] = None,
    top_p: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, metavar="P", rich_help_panel=MODEL, help="Nucleus sampling, 0 to 1."
        ),
    ] = None,
    stop: Annotated[
        list[str] | None,
        typer.Option(
            "--stop", metavar="TEXT", rich_help_panel=MODEL, help="Stop sequence (repeatable)."
        ),
    ] = None,
    context_window: Annotated[
        int | None,
        typer.Option(
            min=64,
            metavar="TOKENS",
            rich_help_panel=MODEL,
            help="Override the model's context window (for trimming).",
        ),
    ] = None,
    # conversation
    system: Annotated[
        str | None,
        typer.Option(
            "--system",
            "-s",
            metavar="TEXT",
            rich_help_panel=CONVERSATION,
            help="System prompt for the conversation.",
        ),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            "-r",
            metavar="NAME",
            rich_help_panel=CONVERSATION,
            help="Use a named system prompt from the config file.",
        ),
    ] = None,
    continue_latest: Annotated[
        bool,
        typer.Option(
            "--continue",
            "-c",
            rich_help_panel=CONVERSATION,
            help="Continue the latest saved conversation.",
        ),
    ] = False,
    cid: Annotated[
        str | None,
        typer.Option(
            "--cid",
            metavar="ID",
            rich_help_panel=CONVERSATION,
            help="Continue a saved conversation (a unique id prefix).",
        ),
    ] = None,
    no_save: Annotated[
        bool,
        typer.Option(
            "--no-save", rich_help_panel=CONVERSATION, help="Do not save this conversation."
        ),
    ] = False,
    # input
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            metavar="PATH",
            rich_help_panel=INPUT,
            help="Add a file's contents to the prompt (repeatable).",
        ),
    ] = None,
    max_input: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="BYTES",
            rich_help_panel=INPUT,
            help="Refuse piped input larger than this \\[default 8 MB].",
        ),
    ] = DEFAULT_MAX_INPUT,
    encoding: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            rich_help_panel=INPUT,
            help="Encoding of piped input and files \\[default utf-8].",
        ),
    ] = "utf-8",
    # output
    no_markdown: Annotated[
        bool,
        typer.Option(
            "--no-markdown",
            rich_help_panel=OUTPUT,
            help="Print replies as plain text (also when NO_COLOR is set).",
        ),
    ] = False,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            rich_help_panel=OUTPUT,
            help="Write the model's text unchanged, control characters too.",
        ),
    ] = False,
    code_theme: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            rich_help_panel=OUTPUT,
            help="Pygments style for code blocks \\[default monokai].",
        ),
    ] = None,
    debug_trace: Annotated[
        bool,
        typer.Option(
            "--debug",
            rich_help_panel=OUTPUT,
            help="Trace requests and responses on stderr, key redacted \\[env WRITER_LOG].",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> int:
    if debug_trace or os.environ.get("WRITER_LOG", "").lower() == "debug":
        debug.enable()
    flags = {
        "base_url": base_url,
        "timeout": timeout,
        "retries": retries,
        "model": model,
        "temperature": temperature,
        "max_tokens": max_tokens,
        "top_p": top_p,
        "system": system,
        "role": role,
        "code_theme": code_theme,
    }
    settings, _ = resolve_from_sources(
        flags,
        allow_insecure_http=allow_insecure_http,
        stop=tuple(stop or ()),
        markdown=not (no_markdown or raw) and "NO_COLOR" not in os.environ,
        raw=raw,
        save=not no_save,
        continue_latest=continue_latest,
        conversation_id=cid,
        context_window=context_window,
    )
    debug.remember_secret(settings.api_key)
    message = one_shot_message(
        " ".join(prompt or ()),
        sys.stdin,
        max_bytes=max_input,
        encoding=encoding,
        files=files or [],
    )
    from chatbot.app import run

    return run(settings, message)


def resolve_from_sources(
    flags: dict[str, Any], *, allow_insecure_http: bool = False, **fixed: Any
) -> tuple[Settings, dict[str, str]]:
    """Settings from flags, the environment, the working directory's .env and the config."""
    from chatbot.config import config_path, load_config
    from chatbot.settings import dotenv_warning, read_dotenv, resolve_settings

    warning = dotenv_warning(Path.cwd())
    if warning:
        sys.stderr.write(f"{PROG}: warning: {warning}\n")
    return resolve_settings(
        flags,
        os.environ,
        read_dotenv(Path.cwd()),
        load_config(config_path()),
        allow_insecure_http=allow_insecure_http,
        **fixed,
    )


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()
    return code


def run_cli(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code; never lets a traceback escape."""
    args = sys.argv[1:] if argv is None else argv
    command: typer.Typer = app
    name, rest = PROG, args
    if args[:1] in (["history"], ["config"]):
        from chatbot import subcommands

        command = subcommands.history_app if args[0] == "history" else subcommands.config_app
        name, rest = f"{PROG} {args[0]}", args[1:]
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
        return _fail(f"{message} (see {name} --help)", EXIT_USAGE)
    except Exception as error:
        if debug.enabled():
            sys.stderr.write(debug.redacted_traceback())
        return _fail(
            f"unexpected error: {type(error).__name__}: {debug.redact(str(error))}", EXIT_FAILURE
        )
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run_cli())
