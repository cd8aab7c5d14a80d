"""Knowledge Graphs by name: which graph a name, an id or an id prefix means; and inline
citations (``[file.pdf](FILE_ID)`` in a reply) numbered as ``[1]``, ``[2]`` to match the
Sources block.

Pure: the graph listings come in as the API's dicts.
"""

from __future__ import annotations

import re
from typing import Any

from chatbot.errors import UsageError
from chatbot.sanitize import one_line

_GRAPH_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def is_graph_id(text: str) -> bool:
    """A whole id (a UUID): used as it is, with no need to list the graphs."""
    return bool(_GRAPH_ID.match(text))


def describe(graph: dict[str, Any]) -> str:
    return f"{one_line(str(graph.get('name') or '(no name)'), 40)} ({str(graph.get('id'))[:8]})"


def resolve_graph(graphs: list[dict[str, Any]], ref: str) -> dict[str, Any]:
    """The one graph ``ref`` names: by exact name, whole id, or unique id prefix (at least 4
    characters). Unknown or ambiguous is a UsageError listing the candidates."""
    by_name = [g for g in graphs if g.get("name") == ref]
    by_id = [g for g in graphs if g.get("id") == ref]
    prefixed = (
        [g for g in graphs if str(g.get("id", "")).startswith(ref.lower())] if len(ref) >= 4 else []
    )
    for found in (by_id, by_name, prefixed):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(describe(g) for g in found[:8])
            raise UsageError(f"'{one_line(ref, 40)}' could be any of {len(found)} graphs: {names}")
    near = [g for g in graphs if ref.lower() in str(g.get("name", "")).lower()] or graphs
    listed = ", ".join(describe(g) for g in near[:8]) or "there are none yet"
    more = f" and {len(near) - 8} more" if len(near) > 8 else ""
    raise UsageError(
        f"no Knowledge Graph '{one_line(ref, 40)}': {listed}{more}"
        " (writer-chat graphs lists them; graphs create NAME makes one)"
    )


def cites_inline(tools: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> bool:
    """Whether a graph tool asks for inline citations (``query_config.inline_citations``)."""
    for tool in tools:
        if tool.get("type") == "graph":
            config = tool.get("function", {}).get("query_config") or {}
            return bool(config.get("inline_citations"))
    return False


_CITATION = re.compile(r"\[([^\]\n]{1,300})\]\(([0-9a-fA-F-]{36})\)")
_LONGEST_CITATION = 300 + 36 + 4


class Citations:
    """Turns the inline citations of a streamed reply into ``[N]``, numbered in the order the
    files are first cited, and keeps their names for the Sources block.

    A marker can arrive split over several pieces, so text from an unclosed ``[`` is held
    back until it is a whole marker or can no longer become one.
    """

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}  # file id -> its number
        self.names: dict[str, str] = {}  # file id -> the name the reply gave it
        self._held = ""

    def feed(self, text: str) -> str:
        text = self._held + text
        self._held = ""
        out = self._number(text)
        start = out.rfind("[")
        if start >= 0 and self._could_become_marker(out[start:]):
            out, self._held = out[:start], out[start:]
        return out

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held

    def _number(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            file_id = match.group(2).lower()
            if file_id not in self.numbers:
                self.numbers[file_id] = len(self.numbers) + 1
                self.names[file_id] = match.group(1)
            return f"[{self.numbers[file_id]}]"

        return _CITATION.sub(replace, text)

    @staticmethod
    def _could_become_marker(tail: str) -> bool:
        if len(tail) > _LONGEST_CITATION or "\n" in tail:
            return False
        close = tail.find("]")
        if close < 0:
            return True
        rest = tail[close + 1 :]
        return rest == "" or (rest.startswith("(") and ")" not in rest)

    def order(self, file_ids: list[str]) -> list[str]:
        """Source file ids, the cited ones first in their numbers' order, then the rest."""
        cited = sorted((i for i in file_ids if i.lower() in self.numbers), key=self._number_of)
        return cited + [i for i in file_ids if i.lower() not in self.numbers]

    def _number_of(self, file_id: str) -> int:
        return self.numbers[file_id.lower()]
