"""The typer command, built from the option table (chatbot.config.options).

typer reads a function's signature; the signature here is made from the table, so a new option
is one row there and nothing here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from chatbot import __version__
from chatbot.cli.helpstyle import markup_mode
from chatbot.cli.program import PROG, SUBCOMMANDS
from chatbot.config.options import OPTIONS, Option, given_only
from chatbot.env import Env
from chatbot.errors import CommandLineError

SUMMARY = (
    "Chat with Writer's Palmyra models. With no PROMPT and a terminal on stdin, opens an "
    "interactive chat; with a PROMPT, piped stdin or --file, prints one reply and exits."
)

EPILOG = """\
[b]Commands[/b] (each has --help)

  history    list, show, export, search and rm saved conversations
  config     init, show and the path of the config file
  models     the models the API offers
  key        set, show or rm the key in the system keychain
  graphs     Knowledge Graphs: create, add files, show, remove, retry, rm
  templates  list, show, edit and rm prompt templates
  mcp        the config's MCP servers; import a desktop client's mcpServers

A prompt that starts with a command's name or with - goes after --:
writer-chat -- "history of rome"

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
  writer-chat key set                          [dim]# keep the key in the keychain[/dim]
  git diff | writer-chat -t review -p lang=Go  [dim]# a saved prompt template[/dim]
  writer-chat graphs add handbook docs/        [dim]# upload files to a Knowledge Graph[/dim]
  writer-chat --graph handbook "leave days?"   [dim]# answer from a Knowledge Graph[/dim]
  writer-chat --functions tools.py "weather?"  [dim]# let it call your functions[/dim]

Exit codes: 0 success, 1 API or network failure, 2 usage or config error,
130 interrupted (Ctrl-C), 143 or 129 ended by SIGTERM or SIGHUP.
"""


def _show_version(ctx: typer.Context, value: bool) -> None:
    if value:
        from chatbot.subcommands.typer_app import env_of

        env_of(ctx).stdout.write(f"{PROG} {__version__}\n")
        raise typer.Exit()


def _parameter(option: Option) -> inspect.Parameter:
    """One option as the keyword parameter typer reads (its default: "not given")."""
    kind: Any = option.kind
    if option.many:
        # a type made at run time from the option table: typer reads it, mypy cannot
        kind = list[option.kind] | None  # type: ignore[name-defined]
    elif option.kind is not bool:
        kind = option.kind | None
    info = typer.Option(
        *option.flags,
        metavar=option.metavar,
        min=option.low,
        max=option.high,
        help=option.help_text(),
        rich_help_panel=option.panel,
        show_default=False,
    )
    default = False if option.kind is bool else None
    return inspect.Parameter(
        option.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[kind, info],
    )


def _signature() -> list[inspect.Parameter]:
    prompt = inspect.Parameter(
        "prompt",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            list[str] | None,
            typer.Argument(metavar="[PROMPT]...", help="The message to send (words are joined)."),
        ],
    )
    version = inspect.Parameter(
        "version",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[
            bool,
            typer.Option(
                "--version",
                callback=_show_version,
                is_eager=True,
                help="Show the version and exit.",
            ),
        ],
    )
    flags = [_parameter(option) for option in OPTIONS if option.flag]
    return [prompt, *flags, version]


def build_app(start: Callable[[dict[str, Any]], int]) -> typer.Typer:
    """The ``writer-chat`` command; ``start`` gets the options the user gave."""
    app = typer.Typer(
        add_completion=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def chat(**parsed: Any) -> int:
        parsed.pop("version", None)
        return start(given_only(parsed))

    parameters = _signature()
    # typer builds the command from this signature; functions have no such attribute to mypy
    chat.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    chat.__annotations__ = {p.name: p.annotation for p in parameters}
    app.command(help=SUMMARY, epilog=EPILOG)(chat)
    return app


def _sub_command(word: str) -> typer.Typer:
    """The typer app of a command beside chatting, imported only when it is the one asked."""
    if word == "graphs":
        from chatbot.subcommands.graph_commands import graphs_app

        return graphs_app
    if word == "mcp":
        from chatbot.subcommands.mcp_commands import mcp_app

        return mcp_app
    if word == "history":
        from chatbot.subcommands.history_commands import history_app

        return history_app
    if word == "key":
        from chatbot.subcommands.key_commands import key_app

        return key_app
    if word == "templates":
        from chatbot.subcommands.template_commands import templates_app

        return templates_app
    from chatbot.subcommands.config_commands import config_app, models_app

    return {"config": config_app, "models": models_app}[word]


def short_extract(args: list[str]) -> list[str]:
    """``-x`` alone means every code block and ``-x N`` the Nth: click cannot have an option
    whose value may be left out before a prompt, so they become ``--extract 0`` / ``--extract N``.
    Nothing after ``--`` is touched."""
    result: list[str] = []
    words = iter(args)
    for word in words:
        if word == "--":
            result += [word, *words]
            break
        if word != "-x":
            result.append(word)
            continue
        following = next(words, None)
        if following is not None and following.isdigit():
            result += ["--extract", following]
        else:
            result += ["--extract", "0"] + ([following] if following is not None else [])
    return result


def parse_and_run(args: list[str], env: Env, start: Callable[[dict[str, Any]], int]) -> int:
    """Parse ``args`` (a subcommand, or the chat's options) and run what they say; every
    command gets ``env`` as typer's ``ctx.obj``."""
    command: typer.Typer
    args = short_extract(args) if "-x" in args else args
    name, rest = PROG, args
    if args[:1] and args[0] in SUBCOMMANDS:
        command = _sub_command(args[0])
        name, rest = f"{PROG} {args[0]}", args[1:]
    else:
        command = build_app(start)
    try:
        # one look for the run's terminal (chatbot.cli.helpstyle), set on the app it runs
        command.rich_markup_mode = markup_mode(env)
        result = command(args=rest, prog_name=name, standalone_mode=False, obj=env)
    except typer.Abort:
        raise KeyboardInterrupt from None
    except typer.Exit as done:
        return done.exit_code
    except typer.TyperException as error:  # bad flags or arguments, from the parser
        message = error.format_message().replace("\n", " ")
        raise CommandLineError(f"{message} (see {name} --help){_as_prompt(args)}") from None
    return result if isinstance(result, int) else 0


def _as_prompt(args: list[str]) -> str:
    """The fix, when the words look meant as a prompt: a command's name or a ``-`` first."""
    if args[:1] and (args[0] in SUBCOMMANDS or args[0] == "-" or args[0].startswith("- ")):
        import shlex

        return f"; to send it as a prompt: {PROG} -- {shlex.quote(' '.join(args))}"
    return ""
