"""Prompt templates: a TOML file a template in the config directory's ``templates/``.

A template holds a system prompt, a prompt with ``{placeholders}`` (``{input}`` is piped stdin),
default values for them under ``[params]``, and defaults for the request (model, temperature,
max_tokens, top_p, graph, json_schema). ``-t NAME -p key=value`` uses one; ``--save NAME``
writes one from the flags and prompt given; ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbot.capped import parse_toml, read_text
from chatbot.engine.params import PARAM, PARAMS, OutOfLimits, check_param
from chatbot.env import Env
from chatbot.errors import UsageError
from chatbot.sanitize import one_line

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
# What a template may set besides system, prompt, description and [params]: the request's
# parameters (their types and limits from chatbot.engine.params), a graph and a schema.
REQUEST_KEYS = (*(p.name for p in PARAMS if not p.many), "graph", "json_schema")


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    system: str | None = None
    prompt: str | None = None
    description: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)  # option name -> value


def templates_dir(env: Env) -> Path:
    """Beside the user's config file."""
    return env.config_dir() / "templates"


def template_path(name: str, env: Env) -> Path:
    if not _NAME.match(name):
        raise UsageError(
            f"'{one_line(name, 40)}' cannot be a template name: letters, digits, '.', '_', '-'"
        )
    return templates_dir(env) / f"{name}.toml"


def placeholders(text: str) -> list[str]:
    """The ``{names}`` in ``text``, in order, each once."""
    names = [m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1)]
    return list(dict.fromkeys(names))


def fill(text: str, values: Mapping[str, str], template: str, *, keep_missing: bool = False) -> str:
    """``text`` with each ``{name}`` replaced; a name without a value is a UsageError naming it
    (or, with ``keep_missing``, left as it is for the user to edit)."""
    missing = [name for name in placeholders(text) if name not in values]
    if missing and not keep_missing:
        wanted = ", ".join(f"{{{name}}}" for name in missing)
        how = " ".join(
            "pipe it on stdin" if name == "input" else f"-p {name}=…" for name in missing
        )
        raise UsageError(f"template '{template}' needs a value for {wanted}: {how}")

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]  # {{ -> {, }} -> }
        return values.get(name, match.group(0))

    return _PLACEHOLDER.sub(replace, text)


def parse_params(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sign, value = pair.partition("=")
        if not sign or not key.strip():
            raise UsageError(f"-p takes name=value, not '{one_line(pair, 40)}'")
        values[key.strip()] = value
    return values


TEMPLATE_LIMIT = 1024 * 1024  # a template file larger than this is refused


def load_template(name: str, env: Env) -> Template:
    path = template_path(name, env)
    if not path.exists():
        known = ", ".join(t.name for t in all_templates(env)) or "none yet"
        raise UsageError(
            f"no template '{name}' (templates: {known}); make one with: writer-chat templates"
            f" edit {name}, or --save {name}"
        )
    return parse_template(name, path, read_text(path, cap=TEMPLATE_LIMIT))


def parse_template(name: str, path: Path, text: str) -> Template:
    data = parse_toml(path, text)
    texts: dict[str, str] = {}
    request: dict[str, Any] = {}
    params: dict[str, str] = {}
    for key, value in data.items():
        if key in ("system", "prompt", "description"):
            if not isinstance(value, str):
                raise UsageError(f"{path}: '{key}' must be a string")
            texts[key] = value
        elif key == "params":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise UsageError(f'{path}: [params] must hold name = "default value" pairs')
            params = dict(value)
        elif key in REQUEST_KEYS:
            request[key] = _checked(path, key, value)
        else:
            known = ", ".join(["system", "prompt", "description", "params", *REQUEST_KEYS])
            raise UsageError(f"{path}: unknown key '{key}' (known: {known})")
    return Template(name, path, **texts, params=params, request=request)


def _checked(path: Path, key: str, value: Any) -> Any:
    if key in PARAM:
        try:
            return check_param(key, value)
        except OutOfLimits as problem:
            raise UsageError(f"{path}: '{key}' {problem}") from None
    if key == "graph" and isinstance(value, str):
        value = [value]
    if key == "graph" and not (isinstance(value, list) and all(isinstance(g, str) for g in value)):
        raise UsageError(f"{path}: 'graph' must be a graph name or a list of them")
    if key == "json_schema" and not isinstance(value, str):
        raise UsageError(f"{path}: 'json_schema' must be a str")
    return tuple(value) if key == "graph" else value


def all_templates(env: Env) -> list[Template]:
    """Every template that can be read (a broken one is listed by name, its problem said)."""
    folder = templates_dir(env)
    found = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            text = read_text(path, cap=TEMPLATE_LIMIT)
            found.append(parse_template(path.stem, path, text))
        except (UsageError, OSError, UnicodeDecodeError) as problem:
            reason = str(problem).removeprefix(f"{path}: ")
            found.append(Template(path.stem, path, description=f"(cannot be read: {reason})"))
    return found


def apply(
    template: Template, given: Mapping[str, Any], stdin_text: str | None
) -> tuple[dict[str, Any], str | None]:
    """The options with the template's defaults under the flags given, and the prompt it
    makes (None: the template has none). ``stdin_text`` fills ``{input}``."""
    options = dict(given)
    for key, value in template.request.items():
        options.setdefault(key, value)
    values = {**template.params, **parse_params(given.get("params", ()))}
    if stdin_text is not None:
        values["input"] = stdin_text
    if template.system is not None and "system" not in given and "role" not in given:
        options["system"] = fill(template.system, values, template.name)
    if template.prompt is None:
        return options, None
    prompt = fill(template.prompt, values, template.name)
    words = " ".join(given.get("prompt", ()))
    return options, f"{prompt}\n\n{words}" if words.strip() else prompt


def to_toml(settings: Mapping[str, Any]) -> str:
    """A template file from ``--save``: the prompt and every request flag that was given."""
    import json

    lines = []
    for key in ("description", "system", "prompt"):
        if settings.get(key):
            lines.append(f"{key} = {_toml_string(settings[key])}")
    for key in REQUEST_KEYS:
        if key in settings:
            value = settings[key]
            value = list(value) if isinstance(value, tuple) else value
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


SKELETON = '''\
# A writer-chat template: writer-chat -t {name} -p name=value
description = "What this template is for"
system = "You are a careful reviewer of {{lang}} code."
prompt = """Review this code. Point out bugs first, style last.

{{input}}"""
# model = "palmyra-x5"
# temperature = 0.2

[params]  # default values of the placeholders
lang = "Python"
'''
