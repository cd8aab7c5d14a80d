"""Reading what /file, /image and /run attach in the REPL: files and folders (text files only,
``.git`` and hidden folders skipped), web pages (fetched, HTML reduced to text, capped),
images, and the output of a command."""

from __future__ import annotations

import os
import shlex
from html.parser import HTMLParser
from pathlib import Path

from chatbot import debug
from chatbot.engine.attachments import Attachment, fenced
from chatbot.env import Env
from chatbot.errors import UsageError
from chatbot.inputs import door
from chatbot.sanitize import one_line

FILE_LIMIT = 1024 * 1024  # a file larger than this is refused (whole, not cut)
FOLDER_FILES = 200  # a folder gives at most this many files
PAGE_LIMIT = 2 * 1024 * 1024  # bytes of a web page read at most
TEXT_LIMIT = 200_000  # characters of a page's text or a command's output kept
RUN_SECONDS = 120.0


class Attacher:
    """What the REPL's /file, /image and /run call (web pages through ``proxy``, each within
    ``timeout`` seconds a read, as the chat's own requests)."""

    def __init__(self, proxy: str | None, timeout: float, env: Env) -> None:
        self._proxy, self._timeout, self._env = proxy, timeout, env

    def __call__(self, kind: str, argument: str) -> list[Attachment]:
        if kind == "image":
            from chatbot.inputs.images import image_part

            source = argument.strip()
            part = image_part(source, self._env, "/image")
            return [Attachment(f"image {one_line(source, 60)}", image=part)]
        if kind == "run":
            return [run_command(argument, self._env)]
        try:
            words = shlex.split(argument)
        except ValueError as problem:
            raise UsageError(f"/file: {problem}") from None
        found: list[Attachment] = []
        for word in words:
            if word.startswith(("https://", "http://")):
                found.append(fetch_page(word, self._proxy, self._timeout, self._env))
            else:
                found += read_path(self._env.path(word))
        return found


def read_path(path: Path) -> list[Attachment]:
    if path.is_dir():
        files = []
        for root, folders, names in os.walk(path):
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            named = [Path(root) / n for n in sorted(names) if not n.startswith(".")]
            files += [file for file in named if door.is_regular_file(file)]  # no FIFO, device
        found = [a for a in (_text_file(f, path) for f in files) if a is not None]
        if not found:
            raise UsageError(f"{path}: no text files in it")
        if len(found) > FOLDER_FILES:
            raise UsageError(f"{path}: {len(found)} text files, more than {FOLDER_FILES}")
        return found
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    attachment = _text_file(path, path.parent)
    if attachment is None:
        raise UsageError(f"{path}: not a text file (for an image: /image {path})")
    return [attachment]


def _text_file(path: Path, base: Path) -> Attachment | None:
    """A file as text, or None when it is binary (a NUL byte, or not UTF-8)."""
    data = door.read_file(path, cap=FILE_LIMIT)
    if door.binary_kind(data) is not None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    name = str(path.relative_to(base)) if path != base and base in path.parents else path.name
    return _attachment(name, text, len(data))


def _attachment(name: str, text: str, size: int, key_cut: bool = False) -> Attachment:
    """``text`` under its ``name``, with the API key cut out (the label then says so)."""
    clean, heading = debug.redact_secrets(text), debug.redact_secrets(name)
    cut = key_cut or clean != text or heading != name
    label = f"{heading} (the API key was in it: cut out)" if cut else name
    return Attachment(label, fenced(heading, clean), size=size)


def run_command(command: str, env: Env) -> Attachment:
    """A shell command's output (stdout and stderr, as a terminal shows them)."""
    if not command.strip():
        raise UsageError("/run needs a command: /run git diff")
    ran = door.run_command(
        command,
        shell=True,
        environ=env.environ,
        cwd=env.cwd,
        cap=TEXT_LIMIT,
        seconds=RUN_SECONDS,
        what=f"/run: {one_line(command, 60)}",
    )
    output = ran.output.decode("utf-8", "replace")
    if ran.cut:
        output += f"\n[… cut at {door.size_text(TEXT_LIMIT)}: the command was stopped there]"
    status = f" (exit {ran.status})" if ran.status else ""
    label = f"$ {command}{status}"
    return _attachment(label, output or "(no output)", len(ran.output), ran.key_cut)


def fetch_page(url: str, proxy: str | None, timeout: float, env: Env) -> Attachment:
    """A web page as text: HTML reduced to its words, other text kept, anything else refused."""
    from chatbot.api.web import fetch_text

    text, kind, size = fetch_text(
        url, proxy=proxy, environ=env.environ, timeout=timeout, limit=PAGE_LIMIT
    )
    if kind == "text/html":
        text = html_text(text)
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT] + f"\n[… cut at {TEXT_LIMIT:,} characters]"
    return _attachment(url, text, size)


class _Words(HTMLParser):
    SKIP = frozenset({"script", "style", "noscript", "template", "svg"})
    BREAKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "section", "article", "pre", "blockquote", "title"})  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BREAKS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self.BREAKS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.pieces.append(data)


def html_text(html: str) -> str:
    """The words of a page: no scripts, styles or tags; a line a block, blank lines folded."""
    parser = _Words()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.pieces).splitlines()]
    text = "\n".join(line for line in lines if line)
    return text
