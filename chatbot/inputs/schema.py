"""Structured output: the ``--json-schema`` request shape, and checking a reply against it."""

from __future__ import annotations

import json
from typing import Any

from chatbot.env import Env
from chatbot.errors import UsageError
from chatbot.sanitize import one_line

SCHEMA_LIMIT = 1024 * 1024  # a schema file larger than this is refused


def load_schema(value: str, env: Env) -> dict[str, Any]:
    """A schema given inline (``{...}``) or as a file path (the Env's)."""
    text = value
    if not value.lstrip().startswith("{"):
        from chatbot.capped import read_text

        text = read_text(env.path(value), cap=SCHEMA_LIMIT, what=f"the schema {value}")
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as problem:
        raise UsageError(f"the schema is not valid JSON: {problem}") from None
    except (ValueError, RecursionError):  # a number of 4,300+ digits; nested past sense
        raise UsageError("the schema is not JSON this program can read") from None
    if not isinstance(schema, dict):
        raise UsageError("the schema must be a JSON object")
    from jsonschema import exceptions, validators

    try:
        validators.validator_for(schema).check_schema(schema)
    except exceptions.SchemaError as problem:
        raise UsageError(
            f"the schema is not a valid JSON Schema: {one_line(problem.message)}"
        ) from None
    return schema


def response_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


def check_reply(text: str, schema: dict[str, Any]) -> tuple[str, Any]:
    """``("", value)`` when the reply is JSON that fits the schema, else ``(problem, None)``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as problem:
        return f"the reply is not valid JSON: {problem}", None
    except (ValueError, RecursionError):
        return "the reply is not JSON this program can read (too deep, or a huge number)", None
    from jsonschema import validators

    validator = validators.validator_for(schema)(schema)
    error = next(iter(sorted(validator.iter_errors(value), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        return f"the reply does not match the schema at {where}: {one_line(error.message)}", None
    return "", value
