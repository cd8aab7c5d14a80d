"""Files for a Knowledge Graph: found (named files, folders walked), sent one after another
through the door (each opened as a regular file, streamed in pieces), then waited on until the
server has processed them; and the one-line summary of what happened to each."""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from chatbot import sanitize
from chatbot.capped import Refused, open_file
from chatbot.env import Env
from chatbot.errors import EXIT_FAILURE, ApiError, ApiStatusError
from chatbot.sanitize import one_line
from chatbot.words import counted

if TYPE_CHECKING:
    from chatbot.api.knowledge_graphs import KnowledgeGraphs

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


class Progress(Protocol):
    """How an upload is shown (chatbot.terminal.progress draws it)."""

    def starting(self, candidate: Candidate) -> None: ...

    def advance(self, sent: int) -> None: ...

    def finished(self, candidate: Candidate) -> None: ...

    def say(self, text: str) -> None: ...

    def close(self) -> None: ...


class StatusLine(Protocol):
    def show(self, text: str) -> None: ...


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


def collect(paths: list[Path], batch: Batch, env: Env) -> None:
    """The files to upload: named files, and folders walked (hidden names and files of other
    types skipped and counted). A named file that cannot be sent is a problem, said later."""
    for path in map(env.path, paths):
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
    """Take ``path`` if the door opens it: a FIFO or a device would block the upload forever."""
    try:
        file, size = open_file(path)
    except Refused as problem:
        batch.problems.append(str(problem))
        return
    file.close()
    if size == 0:
        batch.problems.append(f"{path}: empty")
        return
    batch.candidates.append(Candidate(path, size))


def upload_all(
    api: KnowledgeGraphs, batch: Batch, progress: Progress, say: Callable[[str], None]
) -> None:
    """Send each candidate; a file the server refuses is skipped, a failure of the server or
    of the key stops the batch (what was sent is said first)."""
    try:
        for candidate in batch.candidates:
            progress.starting(candidate)
            content_type = SUPPORTED_TYPES[candidate.path.suffix.lower()]
            batch.sending = candidate.path.name
            try:
                file = _upload(api, candidate, batch.graph["id"], content_type, progress)
            except ApiStatusError as refusal:
                if refusal.status in (401, 403, 407) or refusal.status >= 500:
                    progress.close()
                    if batch.uploaded:
                        say(interrupted(batch, "stopped"))
                    raise
                # the server refused this file (its type, its content): the others may go
                batch.problems.append(
                    f"{candidate.path}: refused by the server: {refusal.description}"
                )
                progress.say(f"skipped {batch.problems[-1]}")
            except Refused as problem:
                batch.problems.append(str(problem))
                progress.say(f"skipped {batch.problems[-1]}")
            except ApiError:
                progress.close()
                if batch.uploaded:
                    say(interrupted(batch, "stopped"))
                raise
            else:
                batch.uploaded.append({**file, "size": candidate.size})
                progress.finished(candidate)
            batch.sending = None
    finally:
        progress.close()


def upload_name(path: Path) -> str:
    """The name a file is sent under: its own, less what no file name should hold (control
    characters, bytes that are not UTF-8), each replaced by ``_``."""
    name = path.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join("_" if c == "\ufffd" else c for c in sanitize.dropped_to(name, "_"))


def _upload(
    api: KnowledgeGraphs, candidate: Candidate, graph_id: str, content_type: str, progress: Progress
) -> dict[str, Any]:
    """One file, opened through the door (a file that turned into a FIFO is refused at once)."""
    file, size = open_file(candidate.path)
    name = upload_name(candidate.path)
    if name != candidate.path.name:
        progress.say(f"{candidate.path.name!a} is sent as {name}: its name holds characters"
                     " no file name should")  # fmt: skip
    with file:
        try:
            return api.upload(file, name, size, graph_id, content_type, progress.advance)
        except OSError as problem:  # the file could not be read while it was sent
            raise Refused(f"cannot read {candidate.path}: {problem.strerror or problem}") from None


def interrupted(batch: Batch, how: str = "interrupted") -> str:
    sent = [str(f.get("name")) for f in batch.uploaded]
    done = {str(f.get("name")) for f in batch.uploaded} | {batch.sending}
    left = [c.path.name for c in batch.candidates if c.path.name not in done]
    said = f"{how}: uploaded and attached {len(sent)} of {len(batch.candidates)} files"
    if sent:
        said += f" ({listed(sent)})"
    if batch.sending:
        said += f"; {one_line(batch.sending, 60)} was on its way and may have arrived"
    if left:
        said += f"; not uploaded: {listed(left)}"
    return said


def listed(names: list[str], most: int = 5) -> str:
    """The first few names, and how many more."""
    shown = ", ".join(one_line(n, 60) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def wait(api: KnowledgeGraphs, batch: Batch, line: StatusLine) -> None:
    """Poll until every uploaded file is completed or failed, with a live status line."""
    ours = {str(f["id"]) for f in batch.uploaded}
    started, pause = time.monotonic(), POLL_FIRST
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


def summary(batch: Batch, waited: bool = True, done: str = "added") -> tuple[str, int]:
    """The line that ends `graphs add` and `graphs retry`, and the exit code."""
    graph = graph_name(batch.graph)
    uploaded, failed = len(batch.uploaded), len(batch.failed)
    parts = [f"{graph}: {counted(uploaded, 'file')} {done}"]
    if waited and uploaded:
        parts.append(f"{uploaded - failed} completed")
        if failed:
            failed_names = listed([str(f.get("name")) for f in batch.failed])
            parts.append(
                f"{failed} failed processing ({failed_names}; try: writer-chat graphs retry"
                f" {shlex.quote(str(batch.graph.get('name')))})"
            )
    elif uploaded:
        parts.append("processing goes on (writer-chat graphs show NAME)")
    if batch.already:
        parts.append(
            f"{len(batch.already)} already in the graph, not sent again (--force sends them)"
        )
    if batch.other_types:
        parts.append(f"{counted(batch.other_types, 'file')} of other types in the folders skipped")
    if batch.problems:
        parts.append(f"{len(batch.problems)} could not be sent (said above)")
    return "; ".join(parts), EXIT_FAILURE if batch.problems or batch.failed else 0


def graph_name(graph: dict[str, Any]) -> str:
    return one_line(str(graph.get("name") or "(no name)"), 60)
