"""Keep a request inside the model's context window by leaving out the oldest turns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Input limits of the models Writer serves (docs/PROTOCOL.md §1.1): Writer's own table could not
# be read, so these are AWS Bedrock's pages for the same models (palmyra-x5: 1,040,000 input
# tokens; palmyra-x4: 122,880). palmyra-fin, -med, -creative and -x-003-instruct were removed
# on 2026-07-13. Any other id gets the conservative default; --context-window overrides.
CONTEXT_WINDOWS = {
    "palmyra-x5": 1_040_000,
    "palmyra-x4": 122_880,
}
DEFAULT_WINDOW = 32_768
DEFAULT_REPLY_ROOM = 1_024
CHARS_PER_TOKEN = 4


def rough_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(len(str(m.get("content") or "")) // CHARS_PER_TOKEN + 4 for m in messages)


def rough_tool_tokens(tools: Sequence[dict[str, Any]]) -> int:
    """What the tools' definitions add to a prompt (the API counts them: an MCP server's
    hundred tools can weigh more than the conversation)."""
    return len(json.dumps(list(tools))) // CHARS_PER_TOKEN if tools else 0


@dataclass
class ContextBudget:
    """Estimates prompt size from what the server last counted, plus ~4 characters a token."""

    window_override: int | None = None
    last_prompt_tokens: int | None = None
    last_rough: int | None = None
    tokens_used: int = 0
    told_about_trimming: bool = False

    def record(
        self,
        sent: list[dict[str, Any]],
        usage: dict[str, Any] | None,
        tools: Sequence[dict[str, Any]] = (),
    ) -> None:
        if not usage:
            return
        prompt = usage.get("prompt_tokens")
        if isinstance(prompt, int) and prompt > 0:
            rough = rough_tokens(sent) + rough_tool_tokens(tools)
            self.last_prompt_tokens, self.last_rough = prompt, max(1, rough)
        total = usage.get("total_tokens")
        if isinstance(total, int):
            self.tokens_used += total

    def window(self, model: str) -> int:
        """The context window in tokens: ``--context-window``, else what ``model`` is known
        to have, else a conservative default."""
        return self.window_override or CONTEXT_WINDOWS.get(model, DEFAULT_WINDOW)

    def estimate(self, messages: list[dict[str, Any]], tools: Sequence[dict[str, Any]] = ()) -> int:
        return self._scaled(rough_tokens(messages) + rough_tool_tokens(tools))

    def _scaled(self, rough: int) -> int:
        """A rough count scaled by how the server's last count compared with ours."""
        if self.last_prompt_tokens and self.last_rough:
            return round(rough * self.last_prompt_tokens / self.last_rough)
        return rough

    def fit(
        self,
        messages: list[dict[str, Any]],
        model: str,
        max_tokens: int | None,
        tools: Sequence[dict[str, Any]] = (),
    ) -> tuple[list[dict[str, Any]], int]:
        """The messages to send, and how many old ones were left out to make them fit.

        The system prompt and the new message are always kept; what is sent starts at a user
        turn. Each message is measured once, so a long conversation costs linear time.
        """
        limit = self.window(model) - (max_tokens or DEFAULT_REPLY_ROOM)
        system = [m for m in messages[:1] if m.get("role") == "system"]
        rest = messages[len(system) :]
        sizes = [rough_tokens([m]) for m in rest]
        total = rough_tokens(system) + sum(sizes) + rough_tool_tokens(tools)
        start = 0
        while len(rest) - start > 1 and self._scaled(total) > limit:
            total -= sizes[start]
            start += 1
            while len(rest) - start > 1 and rest[start].get("role") != "user":
                total -= sizes[start]
                start += 1
        return system + rest[start:], start

    def fullness(self, model: str) -> float | None:
        if self.last_prompt_tokens is None:
            return None
        return self.last_prompt_tokens / self.window(model)
