"""Counts said as a person says them: "1 exchange", "2 exchanges", "1,024 tokens"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, the noun plural unless the count is one."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
