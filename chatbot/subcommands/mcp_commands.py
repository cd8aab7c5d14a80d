"""`writer-chat mcp`: the MCP servers of the config file, and importing those of a desktop
client's JSON config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from chatbot import outlet
from chatbot.errors import UsageError
from chatbot.sanitize import inline
from chatbot.subcommands.typer_app import env_of, out, sub_app
from chatbot.words import counted

mcp_app = sub_app(
    "MCP servers: list those of the config file, or import a desktop client's mcpServers JSON."
)
IMPORT_LIMIT = 1024 * 1024  # a JSON config larger than this is refused


@mcp_app.callback()
def mcp_main(ctx: typer.Context) -> None:
    """List the config file's MCP servers (turn one on with --mcp NAME, or /mcp NAME)."""
    env = env_of(ctx)
    if ctx.invoked_subcommand is not None:
        return
    from chatbot.config.config_file import load_configs

    servers = load_configs(env).mcp_servers
    if not servers:
        out(env, "no MCP servers in the config file (writer-chat mcp import FILE, or the README)")
    for spec in servers.values():
        state = "enabled" if spec.enabled else "off"
        allow = f"  (run without asking: {', '.join(sorted(spec.allow))})" if spec.allow else ""
        out(env, inline(f"{spec.name:<16} {state:<8} {spec.where()}{allow}"))


@mcp_app.command("import")
def mcp_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A JSON file with mcpServers.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the tables; change nothing.")
    ] = False,
) -> None:
    """Add the servers of a desktop client's JSON config (mcpServers) to the config file."""
    env = env_of(ctx)
    from chatbot.capped import decode, parse_toml, read_file
    from chatbot.config.config_file import CONFIG_LIMIT, config_path, load_config
    from chatbot.paths import write_private
    from chatbot.tools.mcp_servers import desktop_tables, parse_servers, toml_tables

    env = env
    source = env.path(file)
    text = decode(read_file(source, cap=IMPORT_LIMIT), "UTF-8", str(source))
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as problem:
        raise UsageError(f"{source} is not JSON: {str(problem).splitlines()[0]}") from None
    tables, skipped = desktop_tables(data, str(source))
    target = config_path(env)
    present = load_config(target).mcp_servers
    for name in [name for name in tables if name in present]:
        skipped.append(f"{name}: in {target} already")
        del tables[name]
    for line in skipped:
        outlet.warn(env.stderr, f"skipped {line}", terminal=env.stderr_isatty)
    if not tables:
        raise UsageError(f"nothing to import from {source}")
    added = toml_tables(tables)
    if dry_run:
        out(env, added.rstrip())
        return
    before = ""
    if target.exists():  # read back as the config is read: capped, a regular file, UTF-8
        before = decode(read_file(target, cap=CONFIG_LIMIT), "UTF-8", str(target))
    after = f"{before.rstrip()}\n\n{added}" if before.strip() else added
    parse_servers(parse_toml(target, after).get("mcp_servers", {}), str(target))  # still reads
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(target, after)
    target.chmod(0o600)  # the servers' env may hold tokens: the file is the user's alone now
    names = inline(", ".join(tables))
    out(
        env,
        f"added {counted(len(tables), 'MCP server')} to {target}: {names}"
        " (off until --mcp NAME or enabled = true; allow lists no tool yet)",
    )
