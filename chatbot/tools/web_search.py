"""Writer's web search as a function the model calls, for a request that already carries
another built-in tool (Writer takes one built-in a request: ``--graph NAME --web-search`` sends
the graph as itself and this beside it). Each call is ``POST /v1/tools/web-search``; the pages
found are listed under the reply as the built-in's are."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chatbot.engine.tools import parse_arguments
from chatbot.errors import ApiError

if TYPE_CHECKING:
    from chatbot.api.client import WriterClient

NAME = "web_search"
PAGE_TEXT = 2_000  # characters of each page's text (and of the answer) sent to the model
PAGES = 10  # pages sent to the model at most (the search decides how many it finds)

SCHEMA = {
    "type": "function",
    "function": {
        "name": NAME,
        "description": (
            "Search the web for current information. Returns a short answer and the pages"
            " found, each with its URL and text; cite the URLs you use."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to search for."},
                "topic": {
                    "type": "string",
                    "enum": ["general", "news"],
                    "description": "news for current events, else general.",
                },
            },
            "required": ["query"],
        },
    },
}


class WebSearchFunction:
    """``web_search(query, topic)``, run with the domains the flags gave."""

    def __init__(
        self, client: Callable[[], WriterClient], include: list[str], exclude: list[str]
    ) -> None:
        self._client = client
        self._domains = {"include_domains": include, "exclude_domains": exclude}
        self._found: list[dict[str, str]] = []  # this exchange's pages, for the sources list

    def schemas(self) -> list[dict[str, Any]]:
        return [SCHEMA]

    def owns(self, name: str) -> bool:
        return name == NAME

    def origin(self, name: str) -> str:
        return "Writer web search"

    def allowed(self, name: str) -> bool:
        return True  # --web-search asked for it, as for the built-in

    def run(self, name: str, arguments: str) -> str:
        parsed = parse_arguments(arguments)
        if isinstance(parsed, str):
            return parsed
        query = parsed.get("query")
        if not isinstance(query, str) or not query.strip():
            return "Error: give a query to search for"
        body: dict[str, Any] = {
            "query": query,
            "include_raw_content": "text",
            **{key: value for key, value in self._domains.items() if value},
        }
        if parsed.get("topic") in ("general", "news"):
            body["topic"] = parsed["topic"]
        try:
            found = self._client().call("POST", "/v1/tools/web-search", body=body)
        except ApiError as problem:
            return f"Error: the web search failed ({problem})"
        if not isinstance(found, dict):
            return "Error: the web search answered something that is not a search result"
        return self._text(found)

    def _text(self, found: dict[str, Any]) -> str:
        sources = [
            source
            for source in found.get("sources") or []
            if isinstance(source, dict) and isinstance(source.get("url"), str)
        ][:PAGES]
        self._found += [{"url": source["url"]} for source in sources]
        pages = [
            {"url": source["url"], "text": str(source.get("raw_content") or "")[:PAGE_TEXT]}
            for source in sources
        ]
        answer = str(found.get("answer") or "")[:PAGE_TEXT]
        return json.dumps({"answer": answer, "pages": pages}, ensure_ascii=False)

    def take_web_data(self) -> dict[str, Any] | None:
        """The pages found since last asked, as the built-in's ``web_search_data``."""
        found, self._found = self._found, []
        return {"sources": found} if found else None
