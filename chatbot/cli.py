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
from chatbot.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    UsageError,
    WriterChatError,
)
from chatbot.inputs import DEFAULT_MAX_INPUT, one_shot_message

if TYPE_CHECKING:
    from chatbot.settings import Settings

PROG = "writer-chat"
CONNECTION, MODEL, CONVERSATION = "Connection", "Model", "Conversation"
INPUT, TOOLS, OUTPUT = "Input", "Tools", "Output"

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
  writer-chat models                           [dim]# the models you can use[/dim]
  writer-chat --graph ID "what is our policy?" [dim]# answer from a Knowledge Graph[/dim]
  writer-chat --functions tools.py "weather?"  [dim]# let it call your functions[/dim]

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
    n: Annotated[
        int,
        typer.Option(
            "--n",
            metavar="N",
            rich_help_panel=MODEL,
            help="Number of choices: only 1 is supported (one reply is shown).",
        ),
    ] = 1,
    images: Annotated[
        list[str] | None,
        typer.Option(
            "--image",
            metavar="PATH|URL",
            rich_help_panel=INPUT,
            help="Attach an image (palmyra-x5 only; repeatable).",
        ),
    ] = None,
    graph: Annotated[
        list[str] | None,
        typer.Option(
            "--graph",
            metavar="ID",
            rich_help_panel=TOOLS,
            help="Answer from a Knowledge Graph (repeatable); sources are listed.",
        ),
    ] = None,
    graph_subqueries: Annotated[
        bool,
        typer.Option(
            "--graph-subqueries",
            rich_help_panel=TOOLS,
            help="Let the Knowledge Graph tool ask subqueries.",
        ),
    ] = False,
    web_search: Annotated[
        bool,
        typer.Option(
            "--web-search",
            rich_help_panel=TOOLS,
            help="Let the model search the web; sources are listed.",
        ),
    ] = False,
    include_domains: Annotated[
        list[str] | None,
        typer.Option(
            "--include-domain",
            metavar="DOMAIN",
            rich_help_panel=TOOLS,
            help="Web search only these domains (repeatable).",
        ),
    ] = None,
    exclude_domains: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-domain",
            metavar="DOMAIN",
            rich_help_panel=TOOLS,
            help="Web search never these domains (repeatable).",
        ),
    ] = None,
    functions: Annotated[
        Path | None,
        typer.Option(
            "--functions",
            metavar="FILE",
            rich_help_panel=TOOLS,
            help="Python file whose functions the model may call (asks first).",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", rich_help_panel=TOOLS, help="Run function calls without asking."
        ),
    ] = False,
    tool_rounds: Annotated[
        int,
        typer.Option(
            min=1,
            max=50,
            metavar="N",
            rich_help_panel=TOOLS,
            help="At most this many rounds of function calls \\[default 8].",
            show_default=False,
        ),
    ] = 8,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            rich_help_panel=OUTPUT,
            help="Print the final completion object as JSON (for scripts).",
        ),
    ] = False,
    json_schema: Annotated[
        str | None,
        typer.Option(
            "--json-schema",
            metavar="FILE|JSON",
            rich_help_panel=OUTPUT,
            help="Ask for JSON matching this schema; the reply is checked.",
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
    settings = _with_tools_and_output(
        settings,
        n=n,
        images=images or [],
        graph=graph or [],
        graph_subqueries=graph_subqueries,
        web_search=web_search,
        include_domains=include_domains or [],
        exclude_domains=exclude_domains or [],
        functions=functions,
        yes=yes,
        tool_rounds=tool_rounds,
        json_output=json_output,
        json_schema=json_schema,
    )
    message = one_shot_message(
        " ".join(prompt or ()),
        sys.stdin,
        max_bytes=max_input,
        encoding=encoding,
        files=files or [],
    )
    from chatbot.app import run

    return run(settings, message)


def _with_tools_and_output(settings: Settings, **given: Any) -> Settings:
    """Check the tool and output flags together, before anything is sent."""
    import dataclasses

    from chatbot.images import image_part
    from chatbot.tools import check_one_built_in, graph_tool, web_search_tool

    if given["n"] != 1:
        raise UsageError("--n: only 1 is supported (writer-chat shows one reply per request)")
    if (given["include_domains"] or given["exclude_domains"]) and not given["web_search"]:
        raise UsageError("--include-domain and --exclude-domain go with --web-search")
    tools = []
    if given["graph"]:
        tools.append(graph_tool(given["graph"], given["graph_subqueries"]))
    if given["web_search"]:
        tools.append(web_search_tool(given["include_domains"], given["exclude_domains"]))
    check_one_built_in(tools)
    changes: dict[str, Any] = {
        "tools": tuple(tools),
        "functions": given["functions"],
        "yes": given["yes"],
        "tool_rounds": given["tool_rounds"],
        "json_output": given["json_output"],
    }
    if given["json_schema"] is not None:
        from chatbot.schema import STRUCTURED_MODELS, load_schema, response_format

        if settings.model not in STRUCTURED_MODELS:
            raise UsageError(f"--json-schema needs {' or '.join(STRUCTURED_MODELS)}")
        schema = load_schema(given["json_schema"])
        changes.update(schema=schema, response_format=response_format(schema))
    if given["images"]:
        if settings.model != "palmyra-x5":
            raise UsageError(f"--image needs palmyra-x5, not {settings.model}")
        changes["image_parts"] = tuple(image_part(source) for source in given["images"])
    return dataclasses.replace(settings, **changes)


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
    if args[:1] in (["history"], ["config"], ["models"]):
        from chatbot import subcommands

        command = subcommands.APPS[args[0]]
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
