"""Writer's tools from the terminal: built-in tools (Knowledge Graph, web search), the JSON
schema of a Python function (its type hints and docstring), and the set of tool boxes a chat
offers and calls (the boxes themselves are chatbot.tools)."""

from __future__ import annotations

import inspect
import json
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from chatbot.sanitize import one_line

if TYPE_CHECKING:
    from chatbot.engine.graph_names import Citations

_JSON_TYPES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
}


def graph_tool(
    graph_ids: list[str], subqueries: bool, query_config: dict[str, Any] | None = None
) -> dict[str, Any]:
    function: dict[str, Any] = {"graph_ids": graph_ids, "subqueries": subqueries}
    if query_config:
        function["query_config"] = query_config
    return {"type": "graph", "function": function}


def web_search_tool(include: list[str], exclude: list[str]) -> dict[str, Any]:
    return {
        "type": "web_search",
        "function": {"include_domains": include, "exclude_domains": exclude},
    }


def _json_type(annotation: Any) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _json_type(options[0]) if len(options) == 1 else {}
    if origin is list:
        (item,) = typing.get_args(annotation) or (str,)
        return {"type": "array", "items": _json_type(item)}
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(annotation))}
    kind = _JSON_TYPES.get(origin or annotation)
    return {"type": kind} if kind else {}


def function_schema(function: Callable[..., Any]) -> dict[str, Any]:
    """The tool definition of one Python function (name, docstring, typed parameters)."""
    signature = inspect.signature(function)
    hints = typing.get_type_hints(function)
    properties: dict[str, Any] = {}
    required = []
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        properties[name] = _json_type(hints.get(name, str))
        if parameter.default is parameter.empty:
            required.append(name)
    description = inspect.getdoc(function) or ""
    return {
        "type": "function",
        "function": {
            "name": function.__name__,
            "description": description.split("\n\n")[0].strip(),
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


def parse_arguments(arguments: str) -> dict[str, Any] | str:
    """The model's arguments as a dict, or the error text to send back instead."""
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as problem:
        return f"Error: the arguments are not valid JSON ({problem.msg})"
    except (ValueError, RecursionError):  # a number of 4,300+ digits; nested past sense
        return "Error: the arguments are not JSON this program can read"
    if not isinstance(parsed, dict):
        return "Error: the arguments must be a JSON object"
    return parsed


class ToolBox(Protocol):
    """One source of functions the model may call (a --functions file, MCP servers, Writer's
    own endpoints run as functions)."""

    def schemas(self) -> list[dict[str, Any]]: ...

    def owns(self, name: str) -> bool: ...

    def origin(self, name: str) -> str: ...

    def allowed(self, name: str) -> bool: ...

    def run(self, name: str, arguments: str) -> str: ...

    def take_web_data(self) -> dict[str, Any] | None:
        """Web pages its calls found since last asked (listed under the reply)."""
        ...


class ToolSet:
    """Every source of functions of this run as one: the offer is asked anew before each
    request (a server may have started or stopped), and each call goes to the source that
    offered its name; a name offered twice goes to the first. Every result passes through
    ``clean`` before it is sent or shown (the wiring cuts the API key out there, once for all
    sources)."""

    def __init__(self, boxes: list[ToolBox], clean: Callable[[str], str] = str) -> None:
        self.boxes = boxes
        self.clean = clean

    def schemas(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        schemas = []
        for box in self.boxes:
            for schema in box.schemas():
                name = schema["function"]["name"]
                if name not in seen:
                    seen.add(name)
                    schemas.append(schema)
        return schemas

    def _box(self, name: str) -> ToolBox | None:
        return next((box for box in self.boxes if box.owns(name)), None)

    def origin(self, name: str) -> str:
        box = self._box(name)
        return box.origin(name) if box else ""

    def allowed(self, name: str) -> bool:
        box = self._box(name)
        return box is not None and box.allowed(name)

    def run(self, name: str, arguments: str) -> str:
        box = self._box(name)
        if box is None:
            return f"Error: there is no function named {name}"
        return self.clean(box.run(name, arguments))

    def take_web_data(self) -> dict[str, Any] | None:
        sources: list[Any] = []
        for box in self.boxes:
            found = box.take_web_data()
            sources += (found or {}).get("sources") or []
        return {"sources": sources} if sources else None


def source_lines(
    graph_data: dict[str, Any] | None,
    web_data: dict[str, Any] | None,
    citations: Citations | None = None,
) -> list[str]:
    """Numbered sources of a reply (Knowledge Graph files and web pages), subqueries last.

    With inline citations, the files cited come first, numbered as the reply shows them."""
    items: list[str] = []
    graph = graph_data or {}
    references = graph.get("references") or {}
    files = [ref for ref in references.get("files") or [] if isinstance(ref, dict)]
    if citations is not None and citations.numbers:
        files = _in_citation_order(files, citations)
    for ref in files:
        page = f", page {ref['page']}" if ref.get("page") else ""
        file_id = str(ref.get("fileId", "?"))
        name = citations.names.get(file_id.lower()) if citations else None
        what = f"{one_line(name, 60)} ({file_id[:8]})" if name else f"file {file_id}"
        text = _short(ref.get("text"))
        items.append(f"{what}{page}: {text}" if text else f"{what}{page}")
    for ref in references.get("web") or []:
        if isinstance(ref, dict):
            items.append(f"{ref.get('url', '?')} {_short(ref.get('title'))}".rstrip())
    if not references:
        for source in graph.get("sources") or []:
            if isinstance(source, dict):
                items.append(f"file {source.get('file_id', '?')}: {_short(source.get('snippet'))}")
    for source in (web_data or {}).get("sources") or []:
        if isinstance(source, dict) and source.get("url"):
            items.append(str(source["url"]))
    lines = [f"{number}. {item}" for number, item in enumerate(items, start=1)]
    queries = [q.get("query") for q in graph.get("subqueries") or [] if isinstance(q, dict)]
    if queries:
        lines.append("Subqueries: " + " · ".join(str(q) for q in queries if q))
    return lines


def _in_citation_order(files: list[dict[str, Any]], citations: Citations) -> list[dict[str, Any]]:
    """One entry per cited file in the order of its number (a cited file the references left
    out still gets its line, so the numbers match), then the files not cited."""
    by_id: dict[str, dict[str, Any]] = {}
    for ref in files:
        by_id.setdefault(str(ref.get("fileId", "")).lower(), ref)
    cited = [by_id.get(file_id, {"fileId": file_id}) for file_id in citations.numbers]
    return cited + [
        ref for ref in files if str(ref.get("fileId", "")).lower() not in citations.numbers
    ]


def _short(text: Any) -> str:
    return one_line(str(text or ""), 80)
