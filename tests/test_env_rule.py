"""The process is read in one place: chatbot/env.py. Everything else takes the Env it is
handed (an argument, or typer's ``ctx.obj``), never a global, so the whole program runs
in-process under a test's Env."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chatbot"
THE_ENV = PACKAGE / "env.py"
PROCESS_READS = {("sys", "stdin"), ("sys", "stdout"), ("sys", "stderr"), ("os", "environ")}
PROCESS_CALLS = {"isatty", "getenv", "get_terminal_size", "getcwd", "cwd"}


def process_reads(source: str) -> list[str]:
    """Where ``source`` reads the process: sys.std*, os.environ, isatty(), getenv(), cwd()."""
    found = []
    for node in ast.walk(ast.parse(source)):
        name_dot_attribute = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if name_dot_attribute and (node.value.id, node.attr) in PROCESS_READS:
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in PROCESS_CALLS:
                found.append(f"line {node.lineno}: {name}()")
        if isinstance(node, ast.ImportFrom) and node.module in ("sys", "os"):
            for alias in node.names:
                if (node.module, alias.name) in PROCESS_READS or alias.name in PROCESS_CALLS:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
    return found


def test_only_the_env_reads_the_process():
    offenders = {
        str(path.relative_to(PACKAGE)): reads
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != THE_ENV
        if (reads := process_reads(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_rule_sees_each_way_of_reading_the_process():
    source = """
import os, sys, shutil
from os import environ
sys.stdout.write("x")
os.environ.get("A")
sys.stdin.isatty()
os.getenv("B")
shutil.get_terminal_size()
"""
    assert len(process_reads(source)) == 7
    assert process_reads("env.stdout.write('x')\nenv.get('A')\n") == []


def fetches_the_env(source: str) -> list[str]:
    """Where ``source`` fetches an Env from a global instead of being handed one: a call of
    ``current()`` (or ``env.current()``), or a module-level variable holding an Env."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name == "current":
                found.append(f"line {node.lineno}: current()")
        if isinstance(node, ast.ImportFrom) and node.module == "chatbot.env":
            found += [
                f"line {node.lineno}: imports current" for a in node.names if a.name == "current"
            ]
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and "Env" in ast.unparse(node.annotation):
            found.append(f"line {node.lineno}: a module-level Env")
    return found


def test_the_env_is_handed_down_never_fetched():
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := fetches_the_env(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_rule_sees_each_way_of_fetching_the_env():
    source = "from chatbot.env import current\nenv.current()\ncurrent()\n_now: Env | None = None\n"
    assert len(fetches_the_env(source)) == 4
    assert fetches_the_env("def f(env: Env) -> None:\n    env.path('x')\n") == []
