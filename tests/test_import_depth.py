"""The longest chain of imports inside the package stays short (at most 8 modules, from
``chatbot.__main__`` down), and no module imports itself back: each link is one more module a
newcomer must read to follow a turn. Imports inside functions count (they run when called);
imports only for type checkers do not."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chatbot"
LONGEST_ALLOWED = 8


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str) -> set[str]:
    """The package's modules ``source`` imports, at the top or inside functions."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("chatbot"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("chatbot"):
            module = str(node.module)
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in MODULES else module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return {name for name in found if name in MODULES}


GRAPH = {name: imports_of(path.read_text(encoding="utf-8")) - {name}
         for name, path in MODULES.items()}  # fmt: skip


@functools.cache
def longest_chain(module: str, seen: tuple[str, ...] = ()) -> tuple[str, ...]:
    if module in seen:
        raise AssertionError("an import cycle: " + " -> ".join((*seen, module)))
    chains = [longest_chain(n, (*seen, module)) for n in sorted(GRAPH[module])]
    return (module, *max(chains, key=len, default=()))


def test_the_longest_import_chain_is_at_most_eight_modules():
    chain = max((longest_chain(m) for m in sorted(MODULES)), key=len)
    assert len(chain) <= LONGEST_ALLOWED, " -> ".join(chain)


def test_the_measure_sees_lazy_imports_and_skips_type_checking_ones():
    source = """
from typing import TYPE_CHECKING
from chatbot import errors
if TYPE_CHECKING:
    from chatbot.store.database import Store
def later():
    from chatbot.engine.chat import Chat
"""
    assert imports_of(source) == {"chatbot.errors", "chatbot.engine.chat"}
