"""`writer-chat graphs …`: Knowledge Graphs and their files, from the terminal.

create, add (upload, attach, wait for processing), show, rename, remove, retry, rm. A graph is
named by its name, its id or a unique id prefix. The files and their upload are
chatbot.inputs.uploads; the progress drawn while they go, chatbot.terminal.progress.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chatbot import outlet
from chatbot.env import Env
from chatbot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, UsageError
from chatbot.inputs.uploads import (
    Batch,
    collect,
    interrupted,
    summary,
    upload_all,
    wait,
)
from chatbot.inputs.uploads import (
    graph_name as _name,
)
from chatbot.sanitize import inline, one_line
from chatbot.subcommands.typer_app import env_of, out, sub_app
from chatbot.terminal.progress import StatusLine, UploadProgress, say
from chatbot.words import counted

if TYPE_CHECKING:
    from chatbot.api.client import WriterClient
    from chatbot.api.knowledge_graphs import KnowledgeGraphs

graphs_app = sub_app(
    "Knowledge Graphs: list, show, create, add files, remove files, retry, rename, rm."
)


@contextmanager
def _api(env: Env) -> Iterator[KnowledgeGraphs]:
    from chatbot.api.knowledge_graphs import KnowledgeGraphs
    from chatbot.config.settings import resolve_from_sources
    from chatbot.run.wiring import new_client

    settings, _ = resolve_from_sources({}, env)
    client: WriterClient = new_client(settings, env)
    try:
        yield KnowledgeGraphs(client)
    finally:
        client.close()


def _find(api: KnowledgeGraphs, ref: str) -> dict[str, Any]:
    return api.find(ref)


def _counts(graph: dict[str, Any]) -> dict[str, int]:
    status = graph.get("file_status")
    if not isinstance(status, dict):
        status = {}
    return {key: int(status.get(key) or 0) for key in ("completed", "in_progress", "failed")}


# listing


@graphs_app.callback()
def graphs_main(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="The API's list as JSON.")] = False,
) -> None:
    """List the Knowledge Graphs: name, id, files (completed/in progress/failed), type."""
    env = env_of(ctx)
    if ctx.invoked_subcommand is not None:
        return
    with _api(env) as api:
        graphs = api.graphs()
    if as_json:
        import json

        from chatbot.sanitize import json_escaped

        text = json.dumps(graphs, indent=2, ensure_ascii=False)
        out(env, json_escaped(text) if env.stdout_isatty else text)
        return
    if not graphs:
        out(env, "no Knowledge Graphs yet: writer-chat graphs create NAME")
        return
    width = min(40, max(len(_name(g)) for g in graphs))
    out(env, f"{'name':<{width}}  {'id':<8}  {'files':>17}  {'type':<9}  created")
    for graph in graphs:
        c = _counts(graph)
        files = f"{c['completed']}/{c['in_progress']}/{c['failed']}"
        created = one_line(str(graph.get("created_at") or "")[:10], 20)  # the date
        kind = one_line(str(graph.get("type") or ""), 9)
        out(
            env,
            f"{_name(graph)[:width]:<{width}}  {str(graph.get('id'))[:8]:<8}  {files:>17}"
            f"  {kind:<9}  {created}",
        )
    out(env, "(files: completed/in progress/failed)")


@graphs_app.command("show")
def graphs_show(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """A graph's files and the state of each."""
    env = env_of(ctx)
    from chatbot.subcommands.typer_app import page

    with _api(env) as api:
        graph = _find(api, name)
        files = api.files(graph["id"])
    c = _counts(graph)
    lines = [f"{_name(graph)}  {graph.get('id')}"]
    if graph.get("description"):
        lines.append(one_line(str(graph["description"]), 200))
    lines.append(
        f"{len(files)} files: {c['completed']} completed, {c['in_progress']} in progress,"
        f" {c['failed']} failed"
    )
    for file in sorted(files, key=lambda f: str(f.get("name"))):
        status = one_line(str(file.get("status") or "?"), 11)
        lines.append(
            f"  {status:<11}  {str(file.get('id'))[:8]}  {one_line(str(file.get('name')), 100)}"
        )
    page(env, "\n".join(lines))


# changing graphs


@graphs_app.command("create")
def graphs_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="What the graph holds.")
    ] = None,
) -> None:
    """Create an empty Knowledge Graph."""
    env = env_of(ctx)
    if not name.strip() or not name.isprintable():
        raise UsageError("a graph needs a name of printable characters")
    with _api(env) as api:
        same = [g for g in api.graphs() if g.get("name") == name]
        if same:
            known = str(same[0].get("id"))[:8]
            raise UsageError(
                f"a graph named '{one_line(name, 40)}' exists already ({known}): pick another name"
            )
        graph = api.create(name, description)
    out(env, f"created {_name(graph)} ({graph.get('id')})")
    out(env, f"add files with: writer-chat graphs add {shlex.quote(name)} PATH...")


@graphs_app.command("rename")
def graphs_rename(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    new_name: Annotated[str, typer.Argument(metavar="NEW_NAME")],
) -> None:
    """Give a graph a new name."""
    env = env_of(ctx)
    if not new_name.strip() or not new_name.isprintable():
        raise UsageError("a graph needs a name of printable characters")
    with _api(env) as api:
        graph = _find(api, name)
        api.update(graph["id"], name=new_name)
    out(env, f"renamed {_name(graph)} ({str(graph['id'])[:8]}) to {one_line(new_name, 60)}")


@graphs_app.command("rm")
def graphs_rm(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Delete a graph (its files stay in your Writer account)."""
    env = env_of(ctx)
    with _api(env) as api:
        graph = _find(api, name)
        total = sum(_counts(graph).values())
        if not yes:
            env = env
            if not env.stdin_isatty or env.stdin is None:
                raise UsageError("stdin is not a terminal to ask on: add --yes to delete")
            question = f"delete the graph {_name(graph)} ({str(graph['id'])[:8]}, {total} files)?"
            outlet.write(env.stdout, f"{inline(question)} [y/N] ", terminal=env.stdout_isatty)
            answer = env.stdin.readline()
            if answer.strip().lower() not in ("y", "yes"):
                out(env, "not deleted")
                raise typer.Exit(EXIT_FAILURE)
        api.delete(graph["id"])
    out(env, f"deleted the graph {_name(graph)} ({str(graph['id'])[:8]})")


@graphs_app.command("remove")
def graphs_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    files: Annotated[list[str], typer.Argument(metavar="FILE...", help="A file's name or id.")],
) -> None:
    """Take files out of a graph (by name, id or id prefix)."""
    env = env_of(ctx)
    with _api(env) as api:
        graph = _find(api, name)
        present = api.files(graph["id"])
        chosen = [_file_named(present, ref) for ref in files]
        for file in chosen:
            api.detach(graph["id"], file["id"])
            out(env, f"removed {one_line(str(file.get('name')), 80)} from {_name(graph)}")


def _file_named(files: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    for found in (
        [f for f in files if f.get("id") == ref],
        [f for f in files if f.get("name") == ref],
        [f for f in files if len(ref) >= 4 and str(f.get("id", "")).startswith(ref)],
    ):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            ids = ", ".join(str(f.get("id"))[:8] for f in found[:8])
            raise UsageError(f"'{one_line(ref, 60)}' names {len(found)} files: {ids}; give an id")
    raise UsageError(f"no file '{one_line(ref, 60)}' in the graph (graphs show NAME lists them)")


@graphs_app.command("retry")
def graphs_retry(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return at once; processing goes on.")
    ] = False,
) -> None:
    """Process a graph's failed files again."""
    env = env_of(ctx)
    with _api(env) as api:
        graph = _find(api, name)
        failed = api.files(graph["id"], status="failed")
        if not failed:
            out(env, f"{_name(graph)} has no failed files")
            return
        api.retry([f["id"] for f in failed])
        out(env, f"processing {counted(len(failed), 'file')} of {_name(graph)} again")
        if not no_wait:
            batch = Batch(graph=graph, uploaded=failed)
            with StatusLine(env) as line:
                wait(api, batch, line)
            raise typer.Exit(_summary(env, batch, done="processed again"))


# adding files


@graphs_app.command("add", short_help="Upload files and folders, and wait for processing.")
def graphs_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files and folders.")],
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return after uploading; processing goes on.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace files whose name is in the graph already.")
    ] = False,
) -> None:
    """Upload files and folders into a graph, then wait until each is processed."""
    env = env_of(ctx)
    with _api(env) as api:
        graph = _find(api, name)
        batch = Batch(graph=graph)
        collect(paths, batch, env)
        present: dict[str, list[dict[str, Any]]] = {}
        for file in api.files(graph["id"]) if batch.candidates else []:
            present.setdefault(str(file.get("name")), []).append(file)
        if not force:
            batch.already = [c.path.name for c in batch.candidates if c.path.name in present]
            batch.candidates = [c for c in batch.candidates if c.path.name not in present]
        for problem in batch.problems:
            say(env, f"skipped {problem}")
        total = sum(c.size for c in batch.candidates)
        try:
            with UploadProgress(env, len(batch.candidates), total) as progress:
                upload_all(api, batch, progress, lambda text: say(env, text))
        except KeyboardInterrupt:
            say(env, interrupted(batch))
            raise typer.Exit(EXIT_INTERRUPTED) from None
        if force:
            _replace(env, api, graph, batch, present)
        if batch.uploaded and not no_wait:
            try:
                with StatusLine(env) as line:
                    wait(api, batch, line)
            except KeyboardInterrupt:
                say(
                    env,
                    f"stopped waiting: {len(batch.uploaded)} files are in {_name(graph)} and go on"
                    f" being processed; see: writer-chat graphs show {shlex.quote(graph['name'])}",
                )
                raise typer.Exit(EXIT_INTERRUPTED) from None
        raise typer.Exit(_summary(env, batch, waited=not no_wait))


def _replace(
    env: Env,
    api: KnowledgeGraphs,
    graph: dict[str, Any],
    batch: Batch,
    present: dict[str, list[dict[str, Any]]],
) -> None:
    """--force: each file sent takes the place of the files of its name (taken out of the
    graph once the new one is in), so a name stays one file."""
    new = {str(f.get("id")) for f in batch.uploaded}
    replaced = 0
    for file in batch.uploaded:
        for old in present.get(str(file.get("name")), []):
            if str(old.get("id")) not in new:
                api.detach(graph["id"], str(old["id"]))
                replaced += 1
    if replaced:
        say(env, f"replaced {counted(replaced, 'file')} of the same name in {_name(graph)}")


def _summary(env: Env, batch: Batch, waited: bool = True, done: str = "added") -> int:
    line, code = summary(batch, waited, done)
    out(env, line)
    return code
