"""`writer-chat key …`: the API key in the system keychain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from chatbot.subcommands.typer_app import env_of
from chatbot.subcommands.typer_app import out as _out
from chatbot.subcommands.typer_app import sub_app as _sub_app

if TYPE_CHECKING:
    pass


key_app = _sub_app("The API key in the system keychain: set, show where the key comes from, rm.")


@key_app.callback()
def key_main(ctx: typer.Context) -> None:
    """Show where the API key in use comes from (as key show)."""
    if ctx.invoked_subcommand is None:
        key_show(ctx)


@key_app.command("set", short_help="Keep the API key in the system keychain.")
def key_set(ctx: typer.Context) -> None:
    """Keep the API key in the system keychain: typed without echo, or piped on stdin."""
    env = env_of(ctx)
    from chatbot.config.settings import KEY_VARIABLE, masked_key, plausible_key
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
    backend = store_key(key, env.environ)
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

    from chatbot.config.config_file import load_configs
    from chatbot.config.settings import KEY_VARIABLE, masked_key, read_dotenv, resolve_connection
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
        if kept := read_key(env.environ):
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
            f"no API key: none in the environment, in .env here, or in {describe(env.environ)};"
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

    backend = delete_key(env.environ)
    if backend is None:
        raise UsageError(f"there is no API key in {PLACE} to remove")
    _out(env, f"removed the API key from {PLACE} ({backend})")
