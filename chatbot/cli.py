"""Command line entry point: parse flags, resolve settings, pick REPL or one-shot mode.

Heavy modules (httpx, rich, prompt_toolkit) are imported only once a mode needs them, so
usage errors stay fast (``--version`` and ``--help`` never get here: see chatbot.entry).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from chatbot import __version__
from chatbot.entry import SUBCOMMANDS
from chatbot.errors import CommandLineError
from chatbot.inputs import DEFAULT_MAX_INPUT
from chatbot.launch import PROG, Options, run_guarded, start
from chatbot.settings import DEFAULT_TOOL_ROUNDS

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
    ] = DEFAULT_TOOL_ROUNDS,
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
    return start(
        Options(
            prompt=tuple(prompt or ()),
            base_url=base_url,
            timeout=timeout,
            retries=retries,
            allow_insecure_http=allow_insecure_http,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            top_p=top_p,
            stop=tuple(stop or ()),
            context_window=context_window,
            n=n,
            system=system,
            role=role,
            continue_latest=continue_latest,
            cid=cid,
            no_save=no_save,
            files=tuple(files or ()),
            max_input=max_input,
            encoding=encoding,
            images=tuple(images or ()),
            graph=tuple(graph or ()),
            graph_subqueries=graph_subqueries,
            web_search=web_search,
            include_domains=tuple(include_domains or ()),
            exclude_domains=tuple(exclude_domains or ()),
            functions=functions,
            yes=yes,
            tool_rounds=tool_rounds,
            no_markdown=no_markdown,
            raw=raw,
            code_theme=code_theme,
            debug_trace=debug_trace,
            json_output=json_output,
            json_schema=json_schema,
        )
    )


def run_cli(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code; never lets a traceback escape."""
    args = sys.argv[1:] if argv is None else argv
    command: typer.Typer = app
    name, rest = PROG, args
    if args[:1] and args[0] in SUBCOMMANDS:
        from chatbot import subcommands

        command = subcommands.APPS[args[0]]
        name, rest = f"{PROG} {args[0]}", args[1:]

    def invoke() -> int:
        try:
            result = command(args=rest, prog_name=name, standalone_mode=False)
        except typer.Abort:
            raise KeyboardInterrupt from None
        except typer.TyperException as error:  # bad flags or arguments, from the parser
            message = error.format_message().replace("\n", " ")
            raise CommandLineError(f"{message} (see {name} --help)") from None
        return result if isinstance(result, int) else 0

    return run_guarded(invoke)


def main() -> None:
    sys.exit(run_cli())
