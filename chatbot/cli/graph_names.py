"""Knowledge Graphs named by the user (a name, an id or an id prefix) turned into ids, for
``--graph``, ``/graph`` and the ``graphs`` commands. Whole ids are used as they are, with no
request; anything else lists the graphs once."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from chatbot.engine.graphs import is_graph_id, resolve_graph

if TYPE_CHECKING:
    from chatbot.api.client import WriterClient
    from chatbot.api.graphs import KnowledgeGraphs
    from chatbot.cli.settings import Settings


def find_graph(api: KnowledgeGraphs, ref: str) -> dict[str, Any]:
    """The graph ``ref`` means (UsageError listing candidates when unknown or ambiguous)."""
    if is_graph_id(ref):
        for graph in api.graphs():
            if graph.get("id") == ref:
                return graph
    return resolve_graph(api.graphs(), ref)


def graph_ids(api: KnowledgeGraphs, refs: list[str]) -> list[str]:
    if all(is_graph_id(ref) for ref in refs):
        return refs
    graphs = api.graphs()
    return [ref if is_graph_id(ref) else resolve_graph(graphs, ref)["id"] for ref in refs]


def with_graph_ids(settings: Settings) -> Settings:
    """``settings`` with the graph tool's names replaced by ids (listing graphs only if a
    name or prefix was given)."""
    tools = list(settings.tools)
    for index, tool in enumerate(tools):
        refs = tool.get("function", {}).get("graph_ids") if tool.get("type") == "graph" else None
        if not refs or all(is_graph_id(ref) for ref in refs):
            continue
        from chatbot.api.graphs import KnowledgeGraphs
        from chatbot.cli.parts import new_client

        client = new_client(settings)
        try:
            ids = graph_ids(KnowledgeGraphs(client), list(refs))
        finally:
            client.close()
        tools[index] = {**tool, "function": {**tool["function"], "graph_ids": ids}}
    return dataclasses.replace(settings, tools=tuple(tools))


def graph_by_name(client: WriterClient, ref: str) -> tuple[str, str]:
    from chatbot.api.graphs import KnowledgeGraphs

    graph = find_graph(KnowledgeGraphs(client), ref)
    return str(graph["id"]), str(graph.get("name") or "")


def graph_query(settings: Settings) -> dict[str, Any]:
    from chatbot.cli.settings import QUERY_CONFIG

    return {
        name: getattr(settings, name)
        for name in QUERY_CONFIG
        if getattr(settings, name) not in (None, False)
    }
