"""Text leaves for stdout and stderr through one outlet (chatbot/outlet.py: the key cut out,
controls made visible on a terminal). A write to a standard stream anywhere else is a way
around it, unless it is one of the few listed here, each with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chatbot"
ALLOWED = {
    "outlet.py": "the outlet itself",
    "cli/main.py": "--version and the saved --help: the program's own text",
    "cli/parser.py": "--version: the program's own text",
    "terminal/clipboard.py": "the OSC 52 sequence is the point; its payload is base64",
    "terminal/progress.py": "redraws the status line: an erase sequence and a line already made"
    " safe with sanitize.inline",
    "terminal/shell_screen.py": "the user's own command's error output, as a shell shows it (its"
    " stdout goes to the terminal directly); the key is cut out of it",
}


def stream_writes(source: str) -> list[int]:
    """Lines of ``source`` that call ``.write`` on something named like a standard stream
    (``env.stdout``, ``self._stderr``, ``stderr``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "write":
            continue
        target = node.func.value
        name = getattr(target, "attr", None) or getattr(target, "id", None) or ""
        if name.lstrip("_") in ("stdout", "stderr"):
            found.append(node.lineno)
    return found


def test_only_the_outlet_writes_to_a_standard_stream():
    offenders = {
        name: lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (name := str(path.relative_to(PACKAGE))) not in ALLOWED
        if (lines := stream_writes(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_rule_sees_each_way_of_writing():
    source = "env.stdout.write('x')\nself._stderr.write(y)\nstderr.write(z)\nfile.write(w)\n"
    assert stream_writes(source) == [1, 2, 3]


def connections(source: str) -> list[tuple[int, bool]]:
    """Lines of ``source`` that open an SQLite database, and whether through the cleaning
    connection (``factory=CleanConnection``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr == "connect" and getattr(node.func.value, "id", "") == "sqlite3":
            factory = next((k.value for k in node.keywords if k.arg == "factory"), None)
            found.append((node.lineno, getattr(factory, "id", "") == "CleanConnection"))
    return found


def test_the_history_is_opened_only_through_the_cleaning_connection():
    opened = {
        name: found
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := connections(path.read_text(encoding="utf-8")))
        for name in [str(path.relative_to(PACKAGE))]
    }
    assert list(opened) == ["store/database.py"]
    assert all(clean for _, clean in opened["store/database.py"])


def test_the_database_rule_sees_a_connection_around_it():
    source = "sqlite3.connect(p, factory=CleanConnection)\nsqlite3.connect(p)\n"
    assert connections(source) == [(1, True), (2, False)]
