"""`writer-chat history|config|models|key …`: the commands beside chatting."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer

from chatbot import outlet
from chatbot.cli.options import BY_NAME, CONFIG_OPTIONS
from chatbot.cli.sub_app import env_of
from chatbot.cli.sub_app import out as _out
from chatbot.cli.sub_app import page as _page
from chatbot.cli.sub_app import sub_app as _sub_app
from chatbot.sanitize import inline

if TYPE_CHECKING:
    from chatbot.env import Env
    from chatbot.store.database import Store


history_app = _sub_app("Saved conversations: list, show, export, search, remove.")
models_app = _sub_app("List the models the API offers (GET /v1/models).")
config_app = _sub_app("The config file: create it, or show every setting and where it came from.")
templates_app = _sub_app("Prompt templates: list, show, edit (creates one), rm.")
key_app = _sub_app("The API key in the system keychain: set, show where the key comes from, rm.")


def _prices(env: Env) -> dict[str, tuple[float, float]]:
    from chatbot.cli.config_file import load_configs
    from chatbot.cli.settings import prices

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
            from chatbot.engine.prices import dollars

            totals = costs(store, [c.id for c in found], _prices(env))
            lines = listing(found, {cid: dollars(t[2]) for cid, t in totals.items()})
            amounts = [t[2] for t in totals.values()]
            whole = None if None in amounts else sum(a for a in amounts if a is not None)
            if lines:
                lines.append(f"total of these {len(found)}: {dollars(whole)}")
        _page(env, "\n".join(lines) if lines else "no saved conversations yet")


@history_app.command("show", short_help="Print a conversation as Markdown, with its cost.")
def history_show(
    ctx: typer.Context, conversation_id: Annotated[str, typer.Argument(metavar="ID")]
) -> None:
    """Print a conversation as Markdown, with its tokens and cost at the end."""
    env = env_of(ctx)
    from chatbot.store.history import branches_said, cost_line, costs, show

    store = _store(env)
    text = show(store, conversation_id, "md")
    full = store.resolve(conversation_id)
    text = text.rstrip("\n") + f"\n\n*{cost_line(costs(store, [full], _prices(env)).get(full))}*\n"
    for line in branches_said(store, store.info(full)):
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


@config_app.callback()
def config_main(ctx: typer.Context) -> None:
    """Show where the config file is."""
    env = env_of(ctx)
    if ctx.invoked_subcommand is None:
        from chatbot.cli.config_file import config_path

        path = config_path(env)
        state = "exists" if path.exists() else "not created yet: writer-chat config init"
        _out(env, f"{path} ({state})")


@config_app.command("init")
def config_init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Create the config file, every setting explained and commented out."""
    env = env_of(ctx)
    from chatbot.cli.config_file import config_path, write_template

    path = config_path(env)
    write_template(path, force=force)
    _out(env, f"wrote {path}")


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Every setting as it would be used now, and where it came from."""
    env = env_of(ctx)
    from chatbot.cli.settings import masked_key, resolve_from_sources

    settings, sources = resolve_from_sources({}, env)
    shown = {
        "api_key": masked_key(settings.api_key),
        "base_url": settings.base_url,
        **{
            option.name: getattr(settings, option.name)
            for option in CONFIG_OPTIONS
            if option.name not in ("base_url", "proxy", "api_key_command")
        },
    }
    from chatbot.api import tls
    from chatbot.api.proxy import proxy_for

    rows = [
        (name, "(not set)" if value is None else str(value), sources[name])
        for name, value in shown.items()
    ]
    proxy, where = proxy_for(settings.base_url, settings.proxy, env.environ)
    source = f"environment ({where})" if proxy else "default"
    rows.append(
        (
            "proxy",
            proxy or "(none: connect directly)",
            sources["proxy"] if settings.proxy else source,
        )
    )
    rows.append(
        ("certificates", tls.source(env.environ), "")
    )  # the value says where they come from
    width = max(len(name) for name, _, _ in rows)
    values = min(40, max(len(text) for _, text, _ in rows))
    for name, text, where_from in rows:
        _out(env, f"{name:<{width}}  {text:<{values}}  {where_from}")


@models_app.callback()
def models_list(ctx: typer.Context) -> None:
    """List the models the API offers (GET /v1/models)."""
    env = env_of(ctx)
    from chatbot.cli.settings import resolve_from_sources
    from chatbot.cli.wiring import new_client
    from chatbot.sanitize import one_line

    settings, _ = resolve_from_sources({}, env)
    client = new_client(settings, env)
    try:
        models = client.list_models()
    finally:
        client.close()
    width = max((len(model_id) for model_id, _ in models), default=2)
    _out(env, f"{'id':<{width}}  name")
    for model_id, name in models:
        _out(env, f"{one_line(model_id, 60):<{width}}  {one_line(name, 60)}")


@key_app.callback()
def key_main(ctx: typer.Context) -> None:
    """Show where the API key in use comes from (as key show)."""
    if ctx.invoked_subcommand is None:
        key_show(ctx)


@key_app.command("set", short_help="Keep the API key in the system keychain.")
def key_set(ctx: typer.Context) -> None:
    """Keep the API key in the system keychain: typed without echo, or piped on stdin."""
    env = env_of(ctx)
    from chatbot.cli.settings import KEY_VARIABLE, masked_key, plausible_key
    from chatbot.errors import UsageError
    from chatbot.inputs.keychain import PLACE, store_key

    env = env
    if env.stdin_isatty:
        import getpass

        key = getpass.getpass(f"{KEY_VARIABLE} (not shown): ", stream=env.stderr).strip()
    else:
        key = env.stdin.readline().strip() if env.stdin is not None else ""
    if not key:
        raise UsageError("no key given: type it at the prompt, or pipe it on stdin")
    if not plausible_key(key):
        raise UsageError(
            "that has characters no API key has (non-ASCII, spaces or line breaks): copy it"
            " again from Writer's console"
        )
    backend = store_key(key)
    _out(env, f"kept the API key {masked_key(key)} in {PLACE} ({backend})")
    if env.get(KEY_VARIABLE).strip():
        _out(
            env, f"note: {KEY_VARIABLE} is set in the environment, and is used before the keychain"
        )


@key_app.command("show", short_help="Where the key in use comes from, masked.")
def key_show(ctx: typer.Context) -> None:
    """Where the API key in use comes from, masked; and the other places that hold one."""
    env = env_of(ctx)
    from pathlib import Path

    from chatbot.cli.config_file import load_configs
    from chatbot.cli.settings import KEY_VARIABLE, masked_key, read_dotenv, resolve_connection
    from chatbot.errors import UsageError
    from chatbot.inputs.keychain import PLACE, describe, read_key

    config = load_configs(env)
    places: list[tuple[str, str]] = []  # in the order they are looked in: the first is used
    env = env
    if key := env.get(KEY_VARIABLE).strip():
        places.append((f"{KEY_VARIABLE} in the environment", masked_key(key)))
    if key := read_dotenv(Path(env.cwd)).get(KEY_VARIABLE, "").strip():
        places.append((f"{KEY_VARIABLE} in {Path(env.cwd) / '.env'}", masked_key(key)))
    try:
        if kept := read_key():
            places.append((f"{PLACE} ({kept[1]})", masked_key(kept[0])))
    except UsageError as problem:
        if not places:  # the chat would stop here too
            raise
        places.append((PLACE, f"({problem})"))
    if command := config.values.get("api_key_command"):
        where = config.source("api_key_command")
        if places:  # not run: it would be run only if no key was found before it
            places.append((f"api_key_command in {where}", "(not run)"))
        else:
            key = resolve_connection(None, {}, {}, key_command=(command, where)).api_key
            places.append((f"api_key_command in {where}", masked_key(key)))
    if not places:
        raise UsageError(
            f"no API key: none in the environment, in .env here, or in {describe()};"
            " keep one with: writer-chat key set"
        )
    (place, shown), *others = places
    _out(env, f"in use: {shown}  from {place}")
    for place, shown in others:
        _out(env, f"also:   {shown}  in {place} (not used)")


@key_app.command("rm")
def key_rm(ctx: typer.Context) -> None:
    """Remove the API key from the system keychain."""
    env = env_of(ctx)
    from chatbot.errors import UsageError
    from chatbot.inputs.keychain import PLACE, delete_key

    backend = delete_key()
    if backend is None:
        raise UsageError(f"there is no API key in {PLACE} to remove")
    _out(env, f"removed the API key from {PLACE} ({backend})")


@templates_app.callback()
def templates_list(ctx: typer.Context) -> None:
    """List the templates: name and what each is for."""
    env = env_of(ctx)
    if ctx.invoked_subcommand is not None:
        return
    from chatbot.inputs.templates import all_templates, templates_dir
    from chatbot.sanitize import one_line

    found = all_templates(env)
    if not found:
        _out(env, f"no templates yet in {templates_dir(env)}: writer-chat templates edit NAME")
        return
    width = max(len(t.name) for t in found)
    for template in found:
        about = template.description or (template.prompt or template.system or "").strip()
        _out(env, f"{template.name:<{width}}  {one_line(about, 70)}")


@templates_app.command("show")
def templates_show(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]
) -> None:
    """Print a template's file."""
    env = env_of(ctx)
    from chatbot.capped import read_text
    from chatbot.inputs.templates import TEMPLATE_LIMIT, load_template

    _out(env, read_text(load_template(name, env).path, cap=TEMPLATE_LIMIT), end="")


@templates_app.command("edit", short_help="Edit a template in $VISUAL or $EDITOR.")
def templates_edit(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]
) -> None:
    """Open a template in $VISUAL or $EDITOR (a new one starts from an example)."""
    env = env_of(ctx)
    from chatbot.capped import read_text
    from chatbot.inputs.templates import SKELETON, TEMPLATE_LIMIT, load_template, template_path
    from chatbot.paths import write_private
    from chatbot.terminal.editor import edit_file

    path = template_path(name, env)
    if path.exists():
        edit_file(path, env)
    else:  # a new one is written only if the editor saved something of the user's
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.draft")
        example = SKELETON.format(name=name)
        write_private(draft, example)
        try:
            edit_file(draft, env)
            text = read_text(draft, cap=TEMPLATE_LIMIT)
            if text == example or not text.strip():
                _out(env, f"nothing saved: the editor left the example as it was ({name} not made)")
                return
            draft.replace(path)
        finally:
            draft.unlink(missing_ok=True)
    load_template(name, env)  # a mistake is said now, not at the next use
    _out(env, f"{path} saved; use it with: writer-chat -t {name}")


@templates_app.command("rm")
def templates_rm(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Remove a template."""
    env = env_of(ctx)
    from chatbot.inputs.templates import load_template

    load_template(name, env).path.unlink()
    _out(env, f"removed the template {name}")


APPS = {
    "history": history_app,
    "config": config_app,
    "models": models_app,
    "key": key_app,
    "templates": templates_app,
}
