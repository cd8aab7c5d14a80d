"""The conversation changes only through Chat, and the journal's state only through events.

Outside the engine nothing assigns to a conversation's system prompt, turns or history id,
and outside the journal nothing assigns to a journal's attributes: a change made any other way
would not reach the history (the slip this rule was written after: /system told the journal by
hand, and -c wrote the journal's conversation id from outside).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "chatbot"
CONVERSATION_STATE = {"system", "turns", "stored_id", "title"}
MAY_CHANGE_CONVERSATIONS = {"engine/chat.py", "engine/conversation.py", "store/journal.py",
                            "store/history.py"}  # fmt: skip


def _targets(tree: ast.AST) -> list[ast.expr]:
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            found += node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            found.append(node.target)
        elif isinstance(node, ast.Delete):
            found += node.targets
    expanded = []
    while found:
        target = found.pop()
        if isinstance(target, ast.Tuple | ast.List):
            found += target.elts
        elif isinstance(target, ast.Subscript):
            found.append(target.value)
        else:
            expanded.append(target)
    return expanded


def changes_from_outside(source: str) -> list[str]:
    """Assignments to ``….conversation.<state>`` and to ``….journal.<anything>``."""
    found = []
    for target in _targets(ast.parse(source)):
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Attribute)):
            continue
        owner = target.value.attr
        if (owner == "conversation" and target.attr in CONVERSATION_STATE) or owner == "journal":
            found.append(f"line {target.lineno}: ….{owner}.{target.attr}")
    return found


def test_nothing_changes_the_conversation_or_the_journal_behind_their_backs():
    offenders = {
        name: changes
        for path in sorted(PACKAGE.rglob("*.py"))
        if (name := str(path.relative_to(PACKAGE))) not in MAY_CHANGE_CONVERSATIONS
        if (changes := changes_from_outside(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_rule_sees_each_way_of_changing_them():
    source = """
session.chat.conversation.system = "x"
chat.conversation.turns[-1:] = []
del session.chat.conversation.turns[0]
session.journal.conversation_id = "abc"
a, session.journal.store = 1, None
"""
    assert len(changes_from_outside(source)) == 5
    assert changes_from_outside("session.chat.set_system('x')\nchat.params = p\n") == []
