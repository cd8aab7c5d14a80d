"""What is sent: the sampling settings and the JSON body of ``POST /v1/chat``.

Kept apart from the client (chatbot/api/client.py) so the session and the REPL can hold settings
without importing httpx, which the REPL loads on a thread while the first prompt is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# What a model can be asked for (Writer's documentation): images in a message, and replies
# held to a JSON schema (response_format).
VISION_MODEL = "palmyra-x5"
STRUCTURED_MODELS = ("palmyra-x4", "palmyra-x5")


@dataclass(frozen=True)
class ChatParams:
    """Sampling settings sent with every request."""

    model: str
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    tools: tuple[dict[str, Any], ...] = ()
    response_format: dict[str, Any] | None = None
    stream: bool = True  # False: the whole reply in one answer (--no-stream)


def build_chat_body(params: ChatParams, messages: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": params.model,
        "messages": messages,
        "stream": params.stream,
    }
    if params.stream:
        body["stream_options"] = {"include_usage": True}
    optional = {
        "temperature": params.temperature,
        "max_tokens": params.max_tokens,
        "top_p": params.top_p,
        "stop": list(params.stop) or None,
        "tools": list(params.tools) or None,
        "response_format": params.response_format,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    return body
