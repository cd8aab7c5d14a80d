"""A streamed reply, merged from chunk dicts (docs/PROTOCOL.md §3 and §6).

Chunks are untrusted JSON decoded elsewhere (chatbot.api.sse); this module only merges them,
so it is tested without any HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chatbot.engine.graph_names import Citations
    from chatbot.redaction import Redactor, StreamCut


@dataclass
class ToolCall:
    index: int
    id: str = ""
    type: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class Reply:
    """Everything one streamed reply carried, for the choice shown (index 0)."""

    # Pieces are kept in lists and joined on demand: appending to a growing string would copy
    # the whole reply on every delta.
    content_pieces: list[str] = field(default_factory=list)
    refusal_pieces: list[str] = field(default_factory=list)
    tool_calls: dict[int, ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    reply_id: str | None = None
    graph_data: dict[str, Any] | None = None
    web_search_data: dict[str, Any] | None = None
    citations: Citations | None = None  # inline citations, numbered as shown

    @property
    def content(self) -> str:
        return "".join(self.content_pieces)

    @property
    def refusal(self) -> str:
        return "".join(self.refusal_pieces)

    def calls(self) -> list[ToolCall]:
        return [self.tool_calls[index] for index in sorted(self.tool_calls)]

    def completion(self) -> dict[str, Any]:
        """The reply as one non-streaming completion object (what ``--json`` prints)."""
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.content or None,
            "refusal": self.refusal or None,
            "tool_calls": [
                {
                    "id": c.id,
                    "type": c.type or "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.calls()
            ]
            or None,
            "graph_data": self.graph_data,
            "web_search_data": self.web_search_data,
        }
        return {
            "id": self.reply_id,
            "object": "chat.completion",
            "model": self.model,
            "choices": [{"index": 0, "finish_reason": self.finish_reason, "message": message}],
            "usage": self.usage,
        }


@dataclass(frozen=True)
class Delta:
    """A displayable piece of the reply: ``kind`` is "content" or "refusal"."""

    kind: str
    text: str


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


class ReplyAccumulator:
    """Merge chunks into a :class:`Reply`, tolerating everything docs/PROTOCOL.md §6 warns about.

    Chunks are untrusted JSON: a field of an unexpected type is ignored, never a crash.
    """

    def __init__(
        self, citations: Citations | None = None, redactor: Redactor | None = None
    ) -> None:
        self.reply = Reply(citations=citations)
        self._redactor = redactor  # the key is cut out of what the server sends, as it comes
        self._cuts: dict[str, StreamCut] = (
            {"content": redactor.stream(), "refusal": redactor.stream()} if redactor else {}
        )

    def flush(self) -> list[Delta]:
        """What was held back at the end of the stream (the start of a possible citation or
        of a secret); the tool calls' arguments with any secret cut out."""
        out = []
        held = self.reply.citations.flush() if self.reply.citations else ""
        for kind, pieces in (
            ("content", self.reply.content_pieces),
            ("refusal", self.reply.refusal_pieces),
        ):
            cut = self._cuts.get(kind)
            text = (cut.feed(held) + cut.flush()) if cut else held
            held = ""
            if text:
                pieces.append(text)
                out.append(Delta(kind, text))
        if self._redactor is not None:
            for call in self.reply.tool_calls.values():
                call.arguments = self._redactor.text(call.arguments)
                call.name = self._redactor.text(call.name)
        return out

    def feed(self, chunk: dict[str, Any]) -> list[Delta]:
        reply = self.reply
        if reply.reply_id is None and _str(chunk.get("id")):
            reply.reply_id = chunk["id"]  # ids may change per chunk: keep the first
        reply.model = _str(chunk.get("model")) or reply.model
        if isinstance(chunk.get("usage"), dict):
            reply.usage = chunk["usage"]
        deltas: list[Delta] = []
        for choice in _list(chunk.get("choices")):
            choice = _dict(choice)
            if choice.get("index", 0) != 0:
                continue  # we ask for one choice; ignore any others
            deltas.extend(self._merge(_dict(choice.get("delta"))))
            reply.finish_reason = _str(choice.get("finish_reason")) or reply.finish_reason
        return deltas

    def _merge(self, delta: dict[str, Any]) -> list[Delta]:
        out = []
        for kind, pieces in (
            ("content", self.reply.content_pieces),
            ("refusal", self.reply.refusal_pieces),
        ):
            text = _str(delta.get(kind))
            if text and kind == "content" and self.reply.citations is not None:
                text = self.reply.citations.feed(text)
            if text and kind in self._cuts:
                text = self._cuts[kind].feed(text)
            if text:
                pieces.append(text)
                out.append(Delta(kind, text))
        for fragment in _list(delta.get("tool_calls")):
            self._merge_tool_call(_dict(fragment))
        for key in ("graph_data", "web_search_data"):
            data = _dict(delta.get(key))
            if any(value is not None for value in data.values()):
                setattr(self.reply, key, data)  # where it arrives is undocumented: keep the latest
        return out

    def _merge_tool_call(self, fragment: dict[str, Any]) -> None:
        index = fragment.get("index", 0)
        if not isinstance(index, int):
            return
        call = self.reply.tool_calls.setdefault(index, ToolCall(index))
        call.id = _str(fragment.get("id")) or call.id
        call.type = _str(fragment.get("type")) or call.type
        function = _dict(fragment.get("function"))
        call.name = _str(function.get("name")) or call.name
        call.arguments += _str(function.get("arguments"))
