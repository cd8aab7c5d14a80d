"""`writer-chat graphs …`: Knowledge Graphs and their files, from the terminal.

create, add (upload, attach, wait for processing), show, rename, remove, retry, rm. A graph is
named by its name, its id or a unique id prefix (chatbot.cli.graph_names).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from chatbot.cli.sub_app import out, sub_app
from chatbot.env import current
from chatbot.errors import EXIT_FAILURE, EXIT_INTERRUPTED, ApiError, ApiStatusError, UsageError
from chatbot.intake import is_regular_file
from chatbot.sanitize import one_line

if TYPE_CHECKING:
    from chatbot.api.client import WriterClient
    from chatbot.api.graphs import KnowledgeGraphs

graphs_app = sub_app(
    "Knowledge Graphs: list, show, create, add files, remove files, retry, rename, rm."
)

# What Writer's Knowledge Graphs take (its documentation), and the type each is sent as.
SUPPORTED_TYPES = {
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".csv": "text/csv",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".eml": "message/rfc822",
    ".html": "text/html",
    ".htm": "text/html",
    ".srt": "application/x-subrip",
}
TYPES_SAID = "PDF, Word, PowerPoint, Excel, CSV, text, Markdown, HTML, EML, SRT"
POLL_FIRST, POLL_MOST = 0.25, 2.0  # seconds between status checks, growing


@contextmanager
def _api() -> Iterator[KnowledgeGraphs]:
    from chatbot.api.graphs import KnowledgeGraphs
    from chatbot.cli.parts import new_client
    from chatbot.cli.settings import resolve_from_sources

    settings, _ = resolve_from_sources({})
    client: WriterClient = new_client(settings)
    try:
        yield KnowledgeGraphs(client)
    finally:
        client.close()


def _find(api: KnowledgeGraphs, ref: str) -> dict[str, Any]:
    from chatbot.cli.graph_names import find_graph

    return find_graph(api, ref)


def _name(graph: dict[str, Any]) -> str:
    return one_line(str(graph.get("name") or "(no name)"), 60)


def _counts(graph: dict[str, Any]) -> dict[str, int]:
    status = graph.get("file_status") if isinstance(graph.get("file_status"), dict) else {}
    return {key: int(status.get(key) or 0) for key in ("completed", "in_progress", "failed")}


# listing


@graphs_app.callback()
def graphs_main(ctx: typer.Context) -> None:
    """List the Knowledge Graphs: name, id, files (completed/in progress/failed), type."""
    if ctx.invoked_subcommand is not None:
        return
    with _api() as api:
        graphs = api.graphs()
    if not graphs:
        out("no Knowledge Graphs yet: writer-chat graphs create NAME")
        return
    width = min(40, max(len(_name(g)) for g in graphs))
    out(f"{'name':<{width}}  {'id':<8}  {'files':>17}  {'type':<9}  created")
    for graph in graphs:
        c = _counts(graph)
        files = f"{c['completed']}/{c['in_progress']}/{c['failed']}"
        created = one_line(str(graph.get("created_at") or ""), 10)[:10]
        kind = one_line(str(graph.get("type") or ""), 9)
        out(
            f"{_name(graph)[:width]:<{width}}  {str(graph.get('id'))[:8]:<8}  {files:>17}"
            f"  {kind:<9}  {created}"
        )
    out("(files: completed/in progress/failed)")


@graphs_app.command("show")
def graphs_show(name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """A graph's files and the state of each."""
    from chatbot.cli.sub_app import page

    with _api() as api:
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
    page("\n".join(lines))


# changing graphs


@graphs_app.command("create")
def graphs_create(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    description: Annotated[
        str | None, typer.Option("--description", "-d", help="What the graph holds.")
    ] = None,
) -> None:
    """Create an empty Knowledge Graph."""
    if not name.strip() or not name.isprintable():
        raise UsageError("a graph needs a name of printable characters")
    with _api() as api:
        same = [g for g in api.graphs() if g.get("name") == name]
        if same:
            known = str(same[0].get("id"))[:8]
            raise UsageError(
                f"a graph named '{one_line(name, 40)}' exists already ({known}): pick another name"
            )
        graph = api.create(name, description)
    out(f"created {_name(graph)} ({graph.get('id')})")
    out(f"add files with: writer-chat graphs add {_shell(name)} PATH...")


@graphs_app.command("rename")
def graphs_rename(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    new_name: Annotated[str, typer.Argument(metavar="NEW_NAME")],
) -> None:
    """Give a graph a new name."""
    if not new_name.strip() or not new_name.isprintable():
        raise UsageError("a graph needs a name of printable characters")
    with _api() as api:
        graph = _find(api, name)
        api.update(graph["id"], name=new_name)
    out(f"renamed {_name(graph)} ({str(graph['id'])[:8]}) to {one_line(new_name, 60)}")


@graphs_app.command("rm")
def graphs_rm(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
) -> None:
    """Delete a graph (its files stay in your Writer account)."""
    with _api() as api:
        graph = _find(api, name)
        total = sum(_counts(graph).values())
        if not yes:
            env = current()
            if not env.stdin_isatty or env.stdin is None:
                raise UsageError("stdin is not a terminal to ask on: add --yes to delete")
            env.stdout.write(
                f"delete the graph {_name(graph)} ({str(graph['id'])[:8]}, {total} files)? [y/N] "
            )
            env.stdout.flush()
            answer = env.stdin.readline()
            if answer.strip().lower() not in ("y", "yes"):
                out("not deleted")
                raise typer.Exit(EXIT_FAILURE)
        api.delete(graph["id"])
    out(f"deleted the graph {_name(graph)} ({str(graph['id'])[:8]})")


@graphs_app.command("remove")
def graphs_remove(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    files: Annotated[list[str], typer.Argument(metavar="FILE...", help="A file's name or id.")],
) -> None:
    """Take files out of a graph (by name, id or id prefix)."""
    with _api() as api:
        graph = _find(api, name)
        present = api.files(graph["id"])
        chosen = [_file_named(present, ref) for ref in files]
        for file in chosen:
            api.detach(graph["id"], file["id"])
            out(f"removed {one_line(str(file.get('name')), 80)} from {_name(graph)}")


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
    name: Annotated[str, typer.Argument(metavar="NAME")],
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return at once; processing goes on.")
    ] = False,
) -> None:
    """Process a graph's failed files again."""
    with _api() as api:
        graph = _find(api, name)
        failed = api.files(graph["id"], status="failed")
        if not failed:
            out(f"{_name(graph)} has no failed files")
            return
        api.retry([f["id"] for f in failed])
        out(f"processing {_files(len(failed))} of {_name(graph)} again")
        if not no_wait:
            batch = Batch(graph=graph, uploaded=failed)
            _wait(api, batch)
            raise typer.Exit(_summary(batch, done="processed again"))


# adding files


@dataclass
class Candidate:
    path: Path
    size: int


@dataclass
class Batch:
    """One `graphs add`: what was found, sent, skipped and refused, for the summary."""

    graph: dict[str, Any]
    candidates: list[Candidate] = field(default_factory=list)
    uploaded: list[dict[str, Any]] = field(default_factory=list)  # the API's File objects
    problems: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    other_types: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    sending: str | None = None  # the file on its way when the upload stopped


def collect(paths: list[Path], batch: Batch) -> None:
    """The files to upload: named files, and folders walked (hidden names and files of other
    types skipped and counted). A named file that cannot be sent is a problem, said later."""
    for path in map(current().path, paths):
        if path.is_dir():
            for root, folders, names in os.walk(path):
                folders[:] = sorted(f for f in folders if not f.startswith("."))
                for name in sorted(names):
                    file = Path(root) / name
                    if name.startswith(".") or file.suffix.lower() not in SUPPORTED_TYPES:
                        batch.other_types += 1
                    else:
                        _consider(file, batch)
        elif not path.exists():
            batch.problems.append(f"{path}: no such file or folder")
        elif path.suffix.lower() not in SUPPORTED_TYPES:
            kind = path.suffix or "extension-less"
            batch.problems.append(f"{path}: Writer does not take {kind} files ({TYPES_SAID})")
        else:
            _consider(path, batch)


def _consider(path: Path, batch: Batch) -> None:
    if path.exists() and not is_regular_file(path):  # a FIFO would block the upload forever
        batch.problems.append(f"{path}: not a regular file (a FIFO, a device or a socket)")
        return
    try:
        with path.open("rb"):
            size = path.stat().st_size
    except OSError as problem:
        batch.problems.append(f"{path}: cannot read it ({problem.strerror or problem})")
        return
    if size == 0:
        batch.problems.append(f"{path}: empty")
        return
    batch.candidates.append(Candidate(path, size))


@graphs_app.command("add")
def graphs_add(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files and folders.")],
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return after uploading; processing goes on.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Upload files whose name is in the graph already.")
    ] = False,
) -> None:
    """Upload files and folders into a graph, then wait until each is processed."""
    with _api() as api:
        graph = _find(api, name)
        batch = Batch(graph=graph)
        collect(paths, batch)
        if not force and batch.candidates:
            present = {f.get("name") for f in api.files(graph["id"])}
            batch.already = [c.path.name for c in batch.candidates if c.path.name in present]
            batch.candidates = [c for c in batch.candidates if c.path.name not in present]
        for problem in batch.problems:
            _say(f"skipped {problem}")
        try:
            _upload_all(api, batch)
        except KeyboardInterrupt:
            _say(_interrupted(batch))
            raise typer.Exit(EXIT_INTERRUPTED) from None
        if batch.uploaded and not no_wait:
            try:
                _wait(api, batch)
            except KeyboardInterrupt:
                _say(
                    f"stopped waiting: {len(batch.uploaded)} files are in {_name(graph)} and go on"
                    f" being processed; see: writer-chat graphs show {_shell(str(graph['name']))}"
                )
                raise typer.Exit(EXIT_INTERRUPTED) from None
        raise typer.Exit(_summary(batch, waited=not no_wait))


def _say(text: str) -> None:
    stderr = current().stderr
    stderr.write(f"writer-chat: {text}\n")
    stderr.flush()


def _upload_all(api: KnowledgeGraphs, batch: Batch) -> None:
    total = sum(c.size for c in batch.candidates)
    with _UploadProgress(len(batch.candidates), total) as progress:
        for candidate in batch.candidates:
            progress.starting(candidate)
            content_type = SUPPORTED_TYPES[candidate.path.suffix.lower()]
            batch.sending = candidate.path.name
            try:
                file = api.upload(candidate.path, batch.graph["id"], content_type, progress.advance)
            except ApiStatusError as refusal:
                if refusal.status in (401, 403, 407) or refusal.status >= 500:
                    progress.close()
                    if batch.uploaded:
                        _say(_interrupted(batch, "stopped"))
                    raise
                # the server refused this file (its type, its content): the others may go
                batch.problems.append(
                    f"{candidate.path}: refused by the server: {refusal.description}"
                )
                progress.say(f"skipped {batch.problems[-1]}")
            except OSError as problem:
                batch.problems.append(
                    f"{candidate.path}: cannot read it ({problem.strerror or problem})"
                )
                progress.say(f"skipped {batch.problems[-1]}")
            except ApiError:
                progress.close()
                if batch.uploaded:
                    _say(_interrupted(batch, "stopped"))
                raise
            else:
                batch.uploaded.append({**file, "size": candidate.size})
            batch.sending = None
            progress.finished(candidate)


def _interrupted(batch: Batch, how: str = "interrupted") -> str:
    sent = [str(f.get("name")) for f in batch.uploaded]
    done = {str(f.get("name")) for f in batch.uploaded} | {batch.sending}
    left = [c.path.name for c in batch.candidates if c.path.name not in done]
    said = f"{how}: uploaded and attached {len(sent)} of {len(batch.candidates)} files"
    if sent:
        said += f" ({_names(sent)})"
    if batch.sending:
        said += f"; {one_line(batch.sending, 60)} was on its way and may have arrived"
    if left:
        said += f"; not uploaded: {_names(left)}"
    return said


def _names(names: list[str], most: int = 5) -> str:
    shown = ", ".join(one_line(n, 60) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _wait(api: KnowledgeGraphs, batch: Batch) -> None:
    """Poll until every uploaded file is completed or failed, with a live status line."""
    ours = {str(f["id"]) for f in batch.uploaded}
    started, pause = time.monotonic(), POLL_FIRST
    with _StatusLine() as line:
        while True:
            busy = ours & {str(f.get("id")) for f in api.files(batch.graph["id"], "in_progress")}
            done = len(ours) - len(busy)
            line.show(
                f"processing: {done} of {len(ours)} files done, {len(busy)} in progress"
                f" ({time.monotonic() - started:.0f} s; Ctrl-C stops waiting, not processing)"
            )
            if not busy:
                break
            time.sleep(pause)
            pause = min(POLL_MOST, pause * 1.5)
    failed = api.files(batch.graph["id"], "failed")
    batch.failed = [f for f in failed if str(f.get("id")) in ours]


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"


def _summary(batch: Batch, waited: bool = True, done: str = "added") -> int:
    graph = _name(batch.graph)
    uploaded, failed = len(batch.uploaded), len(batch.failed)
    parts = [f"{graph}: {_files(uploaded)} {done}"]
    if waited and uploaded:
        parts.append(f"{uploaded - failed} completed")
        if failed:
            failed_names = _names([str(f.get("name")) for f in batch.failed])
            parts.append(
                f"{failed} failed processing ({failed_names}; try: writer-chat graphs retry"
                f" {_shell(str(batch.graph.get('name')))})"
            )
    elif uploaded:
        parts.append("processing goes on (writer-chat graphs show NAME)")
    if batch.already:
        parts.append(
            f"{len(batch.already)} already in the graph, not sent again (--force sends them)"
        )
    if batch.other_types:
        parts.append(f"{_files(batch.other_types)} of other types in the folders skipped")
    if batch.problems:
        parts.append(f"{len(batch.problems)} could not be sent (said above)")
    out("; ".join(parts))
    return EXIT_FAILURE if batch.problems or batch.failed else 0


def _shell(text: str) -> str:
    import shlex

    return shlex.quote(text)


# drawing: a progress bar and a status line on a terminal, plain lines elsewhere


class _UploadProgress:
    def __init__(self, files: int, total_bytes: int) -> None:
        self._files, self._done = files, 0
        self._progress: Any = None
        self._task: Any = None
        env = current()
        if env.stderr_isatty and files:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TextColumn("{task.fields[files]}"),
                console=Console(file=env.stderr),
                transient=True,
            )
            self._task = self._progress.add_task("uploading", total=total_bytes, files="")

    def __enter__(self) -> _UploadProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def starting(self, candidate: Candidate) -> None:
        if self._progress is not None:
            name = one_line(candidate.path.name, 30)
            files = f"file {self._done + 1} of {self._files}"
            self._progress.update(self._task, description=name, files=files)

    def advance(self, sent: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=sent)

    def finished(self, candidate: Candidate) -> None:
        self._done += 1
        if self._progress is None:
            _say(f"uploaded {one_line(str(candidate.path), 120)} ({_size(candidate.size)})")

    def say(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(f"writer-chat: {text}", markup=False, highlight=False)
        else:
            _say(text)


class _StatusLine:
    """One line redrawn in place on a terminal; on a pipe, only the first and last states."""

    def __init__(self) -> None:
        env = current()
        self._stderr, self._tty = env.stderr, env.stderr_isatty
        self._last = ""

    def __enter__(self) -> _StatusLine:
        return self

    def show(self, text: str) -> None:
        if self._tty:
            self._stderr.write("\r\x1b[2K" + text)
            self._stderr.flush()
        elif not self._last:
            _say(text.split(" (")[0])
        self._last = text

    def __exit__(self, *exc: object) -> None:
        if self._tty:
            self._stderr.write("\r\x1b[2K")
            self._stderr.flush()


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size}"
