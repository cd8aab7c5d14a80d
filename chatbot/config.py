"""The TOML config file: defaults for the flags, and named system prompts (roles)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbot.errors import UsageError
from chatbot.paths import APP_NAME

# setting name -> (type, low, high); None bounds are open
SETTINGS: dict[str, tuple[type, float | None, float | None]] = {
    "model": (str, None, None),
    "system": (str, None, None),
    "temperature": (float, 0.0, 2.0),
    "max_tokens": (int, 1, None),
    "top_p": (float, 0.0, 1.0),
    "code_theme": (str, None, None),
    "retries": (int, 0, 10),
    "timeout": (float, 0.1, None),
}

TEMPLATE = """\
# writer-chat configuration. Flags and environment variables override what is set here.
# Remove the leading '#' to set a value.

# model = "palmyra-x5"
# system = "You are a concise assistant."
# temperature = 0.7        # 0 to 2
# max_tokens = 2048
# top_p = 1.0              # 0 to 1
# code_theme = "monokai"   # any Pygments style: monokai, dracula, github-dark, ...
# retries = 2              # retries before a reply starts (429, 5xx, network)
# timeout = 60             # seconds to connect and between bytes

# Named system prompts: writer-chat --role reviewer, or /role reviewer in the REPL.
[roles]
# reviewer = "You review code. Point out bugs first, style last."
# translator = "Translate everything the user writes into French."
"""


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)


def config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def load_config(path: Path) -> Config:
    """Read and check the config file; a missing file is an empty config."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except OSError as problem:
        raise UsageError(f"cannot read {path}: {problem.strerror}") from None
    import tomllib  # here: most runs have no config file

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise UsageError(f"{path}: {problem}") from None
    values: dict[str, Any] = {}
    roles: dict[str, str] = {}
    for key, value in data.items():
        where = f"{path}:{_line_of(text, key)}"
        if key == "roles":
            roles = _roles(value, where, text, path)
        elif key in SETTINGS:
            values[key] = _checked(key, value, where)
        else:
            known = ", ".join([*SETTINGS, "roles"])
            raise UsageError(f"{where}: unknown setting '{key}' (known: {known})")
    return Config(path, values, roles)


def _checked(key: str, value: Any, where: str) -> Any:
    kind, low, high = SETTINGS[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UsageError(f"{where}: '{key}' must be a {kind.__name__}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise UsageError(f"{where}: '{key}' must be {bounds}")
    return value


def _roles(value: Any, where: str, text: str, path: Path) -> dict[str, str]:
    if not isinstance(value, dict):
        raise UsageError(f"{where}: 'roles' must be a table of name = \"system prompt\"")
    for name, prompt in value.items():
        if not isinstance(prompt, str):
            raise UsageError(f"{path}:{_line_of(text, name)}: role '{name}' must be a string")
    return dict(value)


def _line_of(text: str, key: str) -> int:
    """The line where ``key`` is set or its table starts (tomllib does not say)."""
    pattern = re.compile(rf"^\s*(\[\s*{re.escape(key)}\s*\]|\"?{re.escape(key)}\"?\s*=)")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 1


def write_template(path: Path, force: bool = False) -> None:
    from chatbot.paths import write_private

    if path.exists() and not force:
        raise UsageError(f"{path} exists already (use --force to overwrite it)")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(path, TEMPLATE)
