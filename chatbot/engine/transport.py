"""What the engine needs from the network: a request body in, decoded chunks out.

chatbot.api.client.WriterClient is the real one (httpx, retries, SSE); tests script their own.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chatbot.engine.events import Notice

Chunk = dict[str, Any]


class Transport(Protocol):
    def stream(self, body: dict[str, Any]) -> Generator[Chunk | Notice, None, None]:
        """Send ``body`` to ``POST /v1/chat``; yield a Notice before each retry, then the
        reply's chunks. Raises chatbot.errors.ApiError on failure. Closing the iterator
        (or a KeyboardInterrupt inside it) closes the request at once."""
        ...
