"""The request's parameters, declared once: name, type, limits and what they mean.

The flags (chatbot.config.options), the config file, templates and the slash commands all take
their types and limits from here and check a value with ``checked``; the request is checked
again once templates and roles are merged. A new sampling parameter is one row here, one field
of ChatParams and, where it needs a shape, a line of the body builder.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from typing import Any

TOOL_ROUNDS = 8  # rounds of function calls in one exchange, unless --tool-rounds says


class OutOfLimits(ValueError):
    """A value of the wrong type or outside its limits; ``str()`` says what it must be."""


@dataclass(frozen=True)
class Param:
    name: str  # ChatParams' field, the option, the config key and the template key
    kind: type  # str, int or float
    help: str
    metavar: str
    low: float | None = None
    high: float | None = None
    many: bool = False  # a list of values (repeatable flag)
    default: Any = None  # None: not sent, the server decides


# fmt: off
PARAMS: tuple[Param, ...] = (
    Param("model", str, "Model id.", "ID", default="palmyra-x5"),
    Param("temperature", float, "Sampling temperature, 0 to 2.", "X", low=0.0, high=2.0),
    Param("max_tokens", int, "Reply length limit in tokens.", "N", low=1),
    Param("top_p", float, "Nucleus sampling, 0 to 1.", "P", low=0.0, high=1.0),
    Param("stop", str, "Stop sequence (repeatable).", "TEXT", many=True),
)
# fmt: on
PARAM: dict[str, Param] = {param.name: param for param in PARAMS}


def checked(value: Any, kind: type, low: float | None = None, high: float | None = None) -> Any:
    """``value`` as ``kind`` (an int where a float goes is taken), or OutOfLimits saying why."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise OutOfLimits(f"must be {'an' if kind is int else 'a'} {kind.__name__}")
    value = typing.cast(Any, value)  # of ``kind`` now: a number, a string or a flag
    if kind is float and not math.isfinite(value):
        raise OutOfLimits(f"must be a finite number, not {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise OutOfLimits(f"must be {limits(low, high)}")
    return value


def limits(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"from {low:g} to {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def check_param(name: str, value: Any) -> Any:
    """A request parameter's value, checked against its row (each item, for a list)."""
    param = PARAM[name]
    if param.many:
        return tuple(checked(item, param.kind, param.low, param.high) for item in value)
    return checked(value, param.kind, param.low, param.high)
