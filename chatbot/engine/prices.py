"""What replies cost, in dollars, from the token counts the API reports (``usage``).

List prices per million tokens (input, output), from Writer's pricing page
(dev.writer.com/home/pricing), as of 2026-12. A company with its own contract sets its
prices in the config file's ``[prices]`` table, which replaces these model by model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PRICES_AS_OF = "2026-12"
LIST_PRICES: dict[str, tuple[float, float]] = {
    "palmyra-x5": (0.60, 6.00),
    "palmyra-x4": (2.50, 10.00),
}


ESTIMATED = "estimated"  # a usage object's mark: counted by writer-chat, not by the server


def estimated_usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    """A usage object for a reply cut short before the server counted it (billed all the
    same): the tokens writer-chat counted roughly, marked as its estimate."""
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, ESTIMATED: True}


def tokens(usage: Mapping[str, Any] | None) -> tuple[int, int]:
    """(prompt, completion) tokens of a usage object; what is missing or malformed counts 0."""
    if not isinstance(usage, Mapping):
        return 0, 0
    counts = [usage.get("prompt_tokens"), usage.get("completion_tokens")]
    prompt, completion = (c if isinstance(c, int) and c >= 0 else 0 for c in counts)
    return prompt, completion


def cost(
    model: str, prompt: int, completion: int, prices: Mapping[str, tuple[float, float]]
) -> float | None:
    """Dollars for these tokens of ``model``; None when its price is not known."""
    price = prices.get(model)
    if price is None:
        return None
    return (prompt * price[0] + completion * price[1]) / 1_000_000


def dollars(amount: float | None) -> str:
    """$1.23 from a dollar up, $0.0042 from a cent, $0.000042 below; "$?" when a price was
    unknown."""
    if amount is None:
        return "$?"
    return (
        f"${amount:.2f}"
        if amount >= 1
        else f"${amount:.4f}"
        if amount >= 0.01
        else f"${amount:.6f}"
    )


@dataclass
class Spend:
    """Tokens and dollars of a session, and of its last reply."""

    prices: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(LIST_PRICES))
    prompt: int = 0
    completion: int = 0
    dollars: float | None = 0.0  # None once a reply of a model without a price was counted
    last: tuple[int, int, float | None] | None = None  # (prompt, completion, dollars)
    estimated: bool = False  # a reply cut short without the server's count was estimated

    def record(self, model: str, usage: Mapping[str, Any] | None) -> None:
        prompt, completion = tokens(usage)
        if not (prompt or completion):
            return
        amount = cost(model, prompt, completion, self.prices)
        self.prompt += prompt
        self.completion += completion
        self.dollars = None if amount is None or self.dollars is None else self.dollars + amount
        self.last = (prompt, completion, amount)
        if usage is not None and usage.get(ESTIMATED):
            self.estimated = True

    def said(self) -> str:
        """The dollars, ``~`` before them when part of them is an estimate."""
        return ("~" if self.estimated else "") + dollars(self.dollars)

    def unknown_price(self, model: str) -> bool:
        return model not in self.prices
