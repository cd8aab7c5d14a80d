"""What a request will cost, known before it is sent: the tokens that go (the conversation as
the context window lets it through, ~4 characters a token, scaled by how the server counted the
last request) times the model's input price, plus the reply's bound (``max_tokens``, or a
typical reply) times its output price. Over ``--max-cost`` nothing is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chatbot.engine.context import ContextBudget
from chatbot.engine.prices import cost, dollars
from chatbot.errors import UsageError

TYPICAL_REPLY = 1_000  # tokens a reply is counted at when max_tokens does not bound it


class OverCost(UsageError):
    """A request not sent: its estimate is over the cap, the cap cannot be checked, or the
    user said no. The message stays the user's (the REPL puts it back in the prompt)."""


@dataclass(frozen=True)
class Estimate:
    model: str
    prompt: int  # tokens sent
    reply: int  # tokens the reply is counted at
    dollars: float | None  # None: no price known for the model

    def said(self) -> str:
        """ "~100,000 tokens ≈ $0.06" """
        return f"~{self.prompt:,} tokens ≈ {dollars(self.dollars)}"


def estimate(
    messages: list[dict[str, Any]],
    model: str,
    max_tokens: int | None,
    budget: ContextBudget,
    prices: Mapping[str, tuple[float, float]],
    tools: Sequence[dict[str, Any]] = (),
) -> Estimate:
    """What sending ``messages`` (and the definitions of ``tools``) to ``model`` will cost,
    at most about."""
    sent, _ = budget.fit(messages, model, max_tokens, tools)
    prompt = budget.estimate(sent, tools)
    reply = max_tokens or TYPICAL_REPLY
    return Estimate(model, prompt, reply, cost(model, prompt, reply, prices))


def check_cap(found: Estimate, cap: float | None, spent: float = 0.0) -> None:
    """Refuse (OverCost) what would take this exchange over ``cap`` dollars (``spent``: its
    tool rounds so far); a cap that cannot be checked is not a cap."""
    if cap is None:
        return
    if found.dollars is None:
        raise OverCost(
            f"no price is known for {found.model}, so --max-cost ${cap:g} cannot be checked:"
            f" nothing was sent (name its price in the config's [prices])"
        )
    if spent + found.dollars > cap:
        said = dollars(spent + found.dollars)
        raise OverCost(f"{said} estimated > --max-cost ${cap:g} ({found.said()}): nothing was sent")
