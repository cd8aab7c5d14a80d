"""Trimming the oldest turns to fit the context window: the same choice as measuring the whole
request again after each dropped message, in linear time."""

from __future__ import annotations

import random

from chatbot.engine.context import CONTEXT_WINDOWS, ContextBudget


def reference_fit(budget: ContextBudget, messages, model, max_tokens):
    """The plain algorithm: re-estimate the whole list after each message dropped."""
    limit = budget.window(model) - (max_tokens or 1024)
    system = [m for m in messages[:1] if m.get("role") == "system"]
    rest = messages[len(system) :]
    dropped = 0
    while len(rest) > 1 and budget.estimate(system + rest) > limit:
        rest, dropped = rest[1:], dropped + 1
        while len(rest) > 1 and rest[0].get("role") != "user":
            rest, dropped = rest[1:], dropped + 1
    return system + rest, dropped


def conversation(rng: random.Random, turns: int) -> list[dict]:
    messages = [{"role": "system", "content": "Be brief."}] if rng.random() < 0.5 else []
    for _ in range(turns):
        messages.append({"role": "user", "content": "q" * rng.randint(0, 900)})
        for _ in range(rng.randint(0, 2)):
            messages.append({"role": "tool", "content": "t" * rng.randint(0, 300)})
        messages.append({"role": "assistant", "content": "a" * rng.randint(0, 2000)})
    messages.append({"role": "user", "content": "the new one"})
    return messages


def test_fit_chooses_exactly_what_re_measuring_would():
    rng = random.Random(7)
    for case in range(300):
        budget = ContextBudget(window_override=rng.choice([64, 500, 2_000, 20_000]))
        if case % 3 == 0:
            budget.last_prompt_tokens, budget.last_rough = (
                rng.randint(50, 500),
                rng.randint(50, 500),
            )
        messages = conversation(rng, rng.randint(0, 40))
        max_tokens = rng.choice([None, 10, 300])
        assert budget.fit(messages, "m", max_tokens) == reference_fit(
            budget, messages, "m", max_tokens
        )


def test_a_5000_message_conversation_keeps_the_newest_that_fit():
    messages = conversation(random.Random(1), 2_500)
    budget = ContextBudget(window_override=32_000)
    kept, left_out = budget.fit(messages, "palmyra-x4", 2_000)
    assert kept[-1]["content"] == "the new one" and kept[0]["role"] in ("system", "user")
    assert left_out > 4_000 and budget.estimate(kept) <= 30_000


def test_the_window_table_names_only_models_writer_serves():
    assert set(CONTEXT_WINDOWS) == {"palmyra-x5", "palmyra-x4"}
