"""The pure part of Knowledge Graphs, in-process: which graph a name means, and inline
citations numbered as the reply streams (chatbot.engine.graph_names), matched by the Sources
list."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.engine.graph_names import Citations, cites_inline, is_graph_id, resolve_graph
from chatbot.engine.tools import graph_tool, source_lines
from chatbot.errors import UsageError

A = "aaaa1111-0000-4000-8000-000000000001"
B = "aaaa2222-0000-4000-8000-000000000002"
C = "cccc3333-0000-4000-8000-000000000003"
GRAPHS = [
    {"id": A, "name": "handbook"},
    {"id": B, "name": "dup"},
    {"id": C, "name": "dup"},
]


def test_a_graph_is_found_by_name_id_or_unique_prefix():
    assert resolve_graph(GRAPHS, "handbook")["id"] == A
    assert resolve_graph(GRAPHS, B)["id"] == B
    assert resolve_graph(GRAPHS, "cccc")["id"] == C
    assert is_graph_id(A) and not is_graph_id("handbook") and not is_graph_id("aaaa")


@pytest.mark.parametrize(
    ("ref", "said"),
    [
        ("dup", "'dup' could be any of 2 graphs: dup (aaaa2222), dup (cccc3333)"),
        ("aaaa", "'aaaa' could be any of 2 graphs: handbook (aaaa1111), dup (aaaa2222)"),
        ("hand", "no Knowledge Graph 'hand': handbook (aaaa1111) (writer-chat graphs lists"),
        ("zzz", "no Knowledge Graph 'zzz': handbook (aaaa1111), dup (aaaa2222), dup (cccc3333)"),
    ],
)
def test_an_unknown_or_ambiguous_graph_lists_the_candidates(ref, said):
    with pytest.raises(UsageError) as raised:
        resolve_graph(GRAPHS, ref)
    assert said in str(raised.value)


def test_a_short_prefix_is_not_taken_as_an_id():
    with pytest.raises(UsageError):
        resolve_graph(GRAPHS, "c")


def _stream(citations: Citations, pieces: list[str]) -> str:
    return "".join(citations.feed(piece) for piece in pieces) + citations.flush()


def test_citations_are_numbered_in_the_order_files_are_first_cited():
    citations = Citations()
    text = (
        f"Leave is 25 days [leave.pdf]({A}). Carry-over ends in March [rules.pdf]({B}),"
        f" as said [leave.pdf]({A})."
    )
    assert _stream(citations, [text]) == (
        "Leave is 25 days [1]. Carry-over ends in March [2], as said [1]."
    )
    assert citations.names == {A: "leave.pdf", B: "rules.pdf"}


@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=40))
def test_a_citation_split_anywhere_across_pieces_comes_out_the_same(cuts):
    text = f"See [a b.pdf]({A}) and [x](not-an-id) and [c]({C}), [open bracket, done."
    pieces, rest = [], text
    for cut in cuts:
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    assert _stream(Citations(), pieces) == (
        "See [1] and [x](not-an-id) and [2], [open bracket, done."
    )


def test_text_that_cannot_become_a_citation_is_not_held_back():
    citations = Citations()
    assert citations.feed("a [link](http://x) b") == "a [link](http://x) b"
    assert citations.feed("list[0] + 1") == "list[0] + 1"
    assert citations.feed("line [open\n") == "line [open\n"
    assert citations.feed("wait [") == "wait "  # may still become one
    assert citations.flush() == "["


def test_sources_follow_the_citation_numbers():
    citations = Citations()
    citations.feed(f"x [rules.pdf]({B}) y [leave.pdf]({A}) z [gone.pdf]({C})")
    graph_data = {
        "references": {
            "files": [
                {"fileId": A, "text": "Leave: 25 days.", "page": 3},
                {"fileId": B, "text": "Carry-over ends in March."},
                {"fileId": "dddd4444-0000-4000-8000-000000000004", "text": "Not cited."},
            ]
        }
    }
    assert source_lines(graph_data, None, citations) == [
        "1. rules.pdf (aaaa2222): Carry-over ends in March.",
        "2. leave.pdf (aaaa1111), page 3: Leave: 25 days.",
        "3. gone.pdf (cccc3333)",
        "4. file dddd4444-0000-4000-8000-000000000004: Not cited.",
    ]


def test_inline_citations_are_asked_for_in_the_graph_tool():
    assert cites_inline([graph_tool([A], False, {"inline_citations": True})])
    assert not cites_inline([graph_tool([A], False, {"max_snippets": 10})])
    assert not cites_inline([graph_tool([A], False)])
    assert graph_tool([A], True, {"grounding_level": 0.5})["function"] == {
        "graph_ids": [A],
        "subqueries": True,
        "query_config": {"grounding_level": 0.5},
    }
