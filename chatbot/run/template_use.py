"""Templates in use: ``-t NAME`` (its prompt, system prompt and settings under the flags),
``--save NAME`` (the flags given, as a template file) and ``/template`` in the REPL. The
template files themselves are chatbot.inputs.templates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

from chatbot import outlet
from chatbot.env import Env
from chatbot.errors import EXIT_OK, UsageError
from chatbot.inputs.templates import (
    apply,
    fill,
    load_template,
    parse_params,
    placeholders,
    template_path,
    to_toml,
)
from chatbot.sanitize import inline


def with_template(given: Mapping[str, Any], env: Env) -> tuple[dict[str, Any], TextIO | None]:
    """The options with the template's under the flags, and piped stdin unless the template's
    ``{input}`` took it (None: nothing piped)."""
    from chatbot.config.options import value
    from chatbot.inputs.prompt import read_limited

    template = load_template(given["template"], env)
    stdin_text, stdin = None, None if env.stdin_isatty else env.stdin
    if template.prompt is not None and "input" in placeholders(template.prompt):
        if stdin is None:
            raise UsageError(
                f"template '{template.name}' puts piped text in its {{input}}: pipe some in"
            )
        piped = read_limited(
            stdin.buffer, max_bytes=value(given, "max_input"), encoding=value(given, "encoding")
        )
        if not piped.strip():
            raise UsageError(
                f"template '{template.name}' puts piped text in its {{input}}: none came"
            )
        stdin_text, stdin = piped.removesuffix("\n"), None
    options, prompt = apply(template, given, stdin_text)
    if prompt is not None:
        options["prompt"] = (prompt,)
    return options, stdin


def template_in_chat(argument: str, env: Env) -> tuple[dict[str, Any], str | None]:
    """/template NAME [name=value ...]: what it changes in the chat, and its prompt to edit
    (placeholders without a value are left in it, {input} among them)."""
    name, *pairs = argument.split()
    template = load_template(name, env)
    values = {**template.params, **parse_params(pairs)}
    changes = {k: v for k, v in template.request.items() if k not in ("graph", "json_schema")}
    if template.system is not None:
        changes["system"] = fill(template.system, values, name, keep_missing=True)
    prompt = fill(template.prompt, values, name, keep_missing=True) if template.prompt else None
    return changes, prompt


def save_from_flags(given: Mapping[str, Any], env: Env) -> int:
    """--save NAME: the flags and prompt given, as a template file; nothing is sent."""
    from chatbot.paths import write_private

    name = given["save_template"]
    path = template_path(name, env)
    if path.exists() and not given.get("force"):
        raise UsageError(f"the template {name} exists already ({path}): --save {name} --force"
                         " replaces it")  # fmt: skip
    fields = dict(given)
    if given.get("prompt"):
        fields["prompt"] = " ".join(given["prompt"])
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(path, to_toml(fields))
    name = inline(str(given["save_template"]))
    said = f"saved the template {name} in {inline(str(path))}\nuse it with: writer-chat -t {name}\n"
    outlet.write(env.stdout, said, terminal=env.stdout_isatty)
    env.stdout.flush()
    return EXIT_OK
