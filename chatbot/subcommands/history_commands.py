"""Saved conversations: `writer-chat history …`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer

from chatbot import outlet
from chatbot.config.options import BY_NAME
from chatbot.sanitize import inline
from chatbot.subcommands.typer_app import env_of
from chatbot.subcommands.typer_app import out as _out
from chatbot.subcommands.typer_app import page as _page
from chatbot.subcommands.typer_app import sub_app as _sub_app

if TYPE_CHECKING:
    from chatbot.engine.prices import Spend
    from chatbot.env import Env
    from chatbot.store.database import Store


history_app = _sub_app("Saved conversations: list, show, export, search, remove.")


def _prices(env: Env) -> dict[str, tuple[float, float]]:
    from chatbot.config.config_file import load_configs
    from chatbot.config.settings import prices

    return prices(load_configs(env))


def _store(env: Env) -> Store:
    from chatbot.store.database import open_store

    return open_store(
        env.data_dir,
        on_upgrade=lambda line: outlet.warn(env.stderr, line, terminal=env.stderr_isatty),
    )


@history_app.callback()
def history_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="How many to list.")] = 20,
    every: Annotated[bool, typer.Option("--all", help="List them all.")] = False,
    model: Annotated[
        str | None, typer.Option(metavar="ID", help="Only conversations with this model.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="DATE|Nd", help="Only those used since YYYY-MM-DD, or N days ago."),
    ] = None,
    cost: Annotated[
        bool, typer.Option("--cost", help="Add each one's cost in dollars, and the total.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON list, for scripts.")] = False,
) -> None:
    """List saved conversations, newest first (through a pager on a terminal)."""
    env = env_of(ctx)
    if ctx.invoked_subcommand is None:
        from chatbot.store.history import costs, listing, since_timestamp

        store = _store(env)
        found = store.listing(None if every else limit, model=model, since=since_timestamp(since))
        if as_json:
            _print_json(env, [dataclasses.asdict(info) for info in found])
            return
        if not cost:
            lines = listing(found)
        else:
            totals = costs(store, [c.id for c in found], _prices(env))
            lines = listing(found, {cid: spend.said() for cid, spend in totals.items()})
            if lines:
                lines.append(f"total of these {len(found)}: {_total(list(totals.values()))}")
        _page(env, "\n".join(lines) if lines else "no saved conversations yet")


def _total(totals: list[Spend]) -> str:
    """What is priced, summed, and how much is not: ``$0.42 + 3 conversations of models with
    no known price`` (never just ``$?``); ``~`` when an estimate is in the sum."""
    from chatbot.engine.prices import dollars

    priced = sum(spend.dollars for spend in totals if spend.dollars is not None)
    unpriced = sum(1 for spend in totals if spend.dollars is None)
    said = ("~" if any(spend.estimated for spend in totals) else "") + dollars(priced)
    if not unpriced:
        return said
    many = "conversation" if unpriced == 1 else "conversations"
    return f"{said} + {unpriced} {many} of models with no known price"


@history_app.command("show", short_help="Print a conversation as Markdown, with its cost.")
def history_show(
    ctx: typer.Context,
    conversation_id: Annotated[str, typer.Argument(metavar="ID")],
    every: Annotated[
        bool,
        typer.Option("--all", help="Show what was set aside (undone, replaced) in place, marked."),
    ] = False,
) -> None:
    """Print a conversation as Markdown, with its tokens and cost at the end (what was set
    aside counted in: it was paid for)."""
    env = env_of(ctx)
    from chatbot.store.history import branches_said, cost_line, costs, set_aside_said, show

    store = _store(env)
    text = show(store, conversation_id, "md", every=every)
    full = store.resolve(conversation_id)
    text = text.rstrip("\n") + f"\n\n*{cost_line(costs(store, [full], _prices(env)).get(full))}*\n"
    aside = None if every else set_aside_said(store, full)
    for line in [*([aside] if aside else []), *branches_said(store, store.info(full))]:
        text += f"\n*{line}*\n"
    if env.stdout_isatty:
        from chatbot.terminal.render import print_markdown
        from chatbot.terminal.screen import terminal_console

        print_markdown(terminal_console(env), text, BY_NAME["code_theme"].default)
    else:
        from chatbot.sanitize import dropped

        _out(env, dropped(text), end="")


@history_app.command("export", short_help="Write a conversation as Markdown or JSON.")
def history_export(
    ctx: typer.Context,
    conversation_id: Annotated[str, typer.Argument(metavar="ID")],
    fmt: Annotated[str, typer.Option("--format", metavar="md|json", help="Output format.")] = "md",
) -> None:
    """Write a conversation to stdout as Markdown or JSON: exactly as saved to a file or a pipe,
    with every control character made visible (Markdown) or escaped (JSON) on a terminal."""
    env = env_of(ctx)
    from chatbot.store.history import show

    text = show(_store(env), conversation_id, fmt)
    if env.stdout_isatty:
        from chatbot.sanitize import json_escaped, visible

        text = json_escaped(text) if fmt == "json" else visible(text)
    _out(env, text, end="")


@history_app.command("search")
def history_search(
    ctx: typer.Context, text: Annotated[list[str], typer.Argument(metavar="TEXT...")]
) -> None:
    """Find conversations whose prompts or replies contain TEXT."""
    env = env_of(ctx)
    from chatbot.sanitize import one_line
    from chatbot.store.history import listing

    found = _store(env).search(" ".join(text))
    for info, snippet in found:
        _out(env, listing([info])[0])
        _out(env, f"          {one_line(snippet, 100)}")
    if not found:
        _out(env, "no matches")


@history_app.command("rename")
def history_rename(
    ctx: typer.Context,
    conversation_id: Annotated[str, typer.Argument(metavar="ID")],
    title: Annotated[list[str], typer.Argument(metavar="TITLE...")],
) -> None:
    """Give a saved conversation a title of your own."""
    env = env_of(ctx)
    store = _store(env)
    full = store.resolve(conversation_id)
    store.rename(full, _checked_title(" ".join(title)))
    _out(env, f"renamed {full[:8]}")


def _checked_title(text: str) -> str:
    from chatbot.errors import UsageError
    from chatbot.sanitize import one_line

    title = one_line(text, 120)
    if not title:
        raise UsageError("a title needs a word or two")
    return title


def _print_json(env: Env, document: object) -> None:
    import json

    from chatbot.sanitize import json_escaped

    text = json.dumps(document, indent=2, ensure_ascii=False)
    _out(env, json_escaped(text) if env.stdout_isatty else text)


@history_app.command("rm")
def history_rm(
    ctx: typer.Context,
    conversation_id: Annotated[str, typer.Argument(metavar="ID")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Delete a saved conversation (asks first on a terminal)."""
    env = env_of(ctx)
    store = _store(env)
    full = store.resolve(conversation_id)
    env = env
    if not yes and env.stdin_isatty and env.stdin is not None:
        title = store.info(full).title
        question = f"delete {full[:8]} “{inline(title)}” from the history? [y/N] "
        outlet.write(env.stdout, question, terminal=env.stdout_isatty)
        if env.stdin.readline().strip().lower() not in ("y", "yes"):
            _out(env, "not deleted")
            raise typer.Exit(1)
    store.delete_conversation(full)
    _out(env, f"removed {full[:8]}")
