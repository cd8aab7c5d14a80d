"""``--functions FILE``: the public functions a Python file defines, offered to the model as
tools (their schema from their type hints and docstrings) and called with its arguments,
each call asked about first (or ``--yes``)."""

from __future__ import annotations

import importlib.util
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbot.engine.tools import function_schema, parse_arguments
from chatbot.errors import UsageError


@dataclass
class FunctionBox:
    """The functions a ``--functions`` file defines, ready to describe and to call."""

    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> FunctionBox:
        if not path.is_file():
            raise UsageError(f"no such functions file: {path}")
        spec = importlib.util.spec_from_file_location(f"writer_chat_tools_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise UsageError(f"cannot load functions from {path}")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as problem:
            raise UsageError(
                f"{path} failed to load: {type(problem).__name__}: {problem}"
            ) from None
        functions: dict[str, Callable[..., Any]] = {
            name: value
            for name, value in vars(module).items()
            if inspect.isfunction(value)
            and value.__module__ == module.__name__
            and not name.startswith("_")
        }
        if not functions:
            raise UsageError(f"{path} defines no public functions")
        return cls(functions)

    def schemas(self) -> list[dict[str, Any]]:
        return [function_schema(f) for f in self.functions.values()]

    def owns(self, name: str) -> bool:
        return name in self.functions

    def origin(self, name: str) -> str:
        return ""  # the user's own file: the question needs no "from where"

    def allowed(self, name: str) -> bool:
        return False  # each call is asked about (or --yes)

    def take_web_data(self) -> dict[str, Any] | None:
        return None

    def run(self, name: str, arguments: str) -> str:
        """Call a function with the model's arguments; an error becomes the text sent back."""
        function = self.functions.get(name)
        if function is None:
            return f"Error: there is no function named {name}"
        parsed = parse_arguments(arguments)
        if isinstance(parsed, str):
            return parsed
        try:
            result = function(**parsed)
        except Exception as problem:  # the model sees the failure and can recover
            return f"Error: {type(problem).__name__}: {problem}"
        return result if isinstance(result, str) else json.dumps(result, default=str)
