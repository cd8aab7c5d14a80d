"""`writer-chat config …` and `writer-chat models`: the config file and the models offered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from chatbot.config.options import CONFIG_OPTIONS
from chatbot.subcommands.typer_app import env_of
from chatbot.subcommands.typer_app import out as _out
from chatbot.subcommands.typer_app import sub_app as _sub_app

if TYPE_CHECKING:
    pass


config_app = _sub_app("The config file: create it, or show every setting and where it came from.")
models_app = _sub_app("List the models the API offers (GET /v1/models).")


@config_app.callback()
def config_main(ctx: typer.Context) -> None:
    """Show where the config file is."""
    env = env_of(ctx)
    if ctx.invoked_subcommand is None:
        from chatbot.config.config_file import config_path

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
    from chatbot.config.config_file import config_path, write_template

    path = config_path(env)
    write_template(path, force=force)
    _out(env, f"wrote {path}")


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Every setting as it would be used now, and where it came from."""
    env = env_of(ctx)
    from chatbot.config.settings import masked_key, resolve_from_sources

    settings, sources = resolve_from_sources({}, env)
    shown = {
        "api_key": masked_key(settings.api_key),
        "base_url": settings.base_url,
        **{
            option.name: settings.value(option.name)
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
    from chatbot.config.settings import resolve_from_sources
    from chatbot.run.wiring import new_client
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
