"""The TOML config file: defaults for the flags, and named system prompts (roles)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatbot.config.options import CONFIG_OPTIONS
from chatbot.engine.params import OutOfLimits, checked
from chatbot.env import Env
from chatbot.errors import UsageError
from chatbot.tools.mcp_servers import ServerSpec, parse_servers

SETTINGS = {option.name: option for option in CONFIG_OPTIONS}
CONFIG_LIMIT = 1024 * 1024  # a config file larger than this is refused


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return (
        f'"{value}"'
        if isinstance(value, str)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )


def _template() -> str:
    """The commented-out config file: every setting of the option table, with its help."""
    lines = [
        "# writer-chat configuration. Flags and environment variables override what is set here.",
        "# Remove the leading '#' to set a value.",
        "",
    ]
    for option in CONFIG_OPTIONS:
        example = option.default if option.example is None else option.example
        setting = f"# {option.name} = {_toml(example)}"
        lines.append(f"{setting:<40} # {option.help}")
    lines += [
        "",
        "# Named system prompts: writer-chat --role reviewer, or /role reviewer in the REPL.",
        "[roles]",
        '# reviewer = "You review code. Point out bugs first, style last."',
        '# translator = "Translate everything the user writes into French."',
        "",
        "# Prices in dollars per million tokens [input, output], for /usage and history --cost;",
        "# each replaces Writer's list price for that model (a contract's own prices).",
        "[prices]",
        "# palmyra-x5 = [0.60, 6.00]",
        "",
        "# MCP servers whose tools the model may call: writer-chat --mcp time, or /mcp time.",
        "# [mcp_servers.time]",
        '# command = "mcp-server-time"          # run as it is, without a shell',
        '# args = ["--local-timezone", "UTC"]',
        '# allow = ["get_current_time"]          # run without asking; the rest are asked about',
        "# enabled = false                       # true: on without --mcp",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)  # the file each value came from
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)  # model -> in, out
    mcp_servers: dict[str, ServerSpec] = field(default_factory=dict)  # [mcp_servers.NAME]

    def source(self, name: str) -> str:
        return f"config file ({self.sources.get(name, self.path)})"


def config_path(env: Env) -> Path:
    """The user's own config file (``writer-chat config init`` writes it)."""
    return env.config_dir() / "config.toml"


def system_config_paths(env: Env) -> list[Path]:
    """System-wide config files an administrator sets (``$XDG_CONFIG_DIRS``, else /etc/xdg),
    least important first: each is read before the user's, which beats them all."""
    return [folder / "config.toml" for folder in reversed(env.system_config_dirs())]


def load_configs(env: Env) -> Config:
    """Every config file there is, system-wide ones first, then the user's."""
    layered = Config()
    for path in [*system_config_paths(env), config_path(env)]:
        if path.exists() or path.is_symlink():  # a folder, a FIFO, a broken link: said, not skipped
            layered = _over(layered, load_config(path))
    return layered


def _over(base: Config, top: Config) -> Config:
    """``top``'s values over ``base``'s, each remembering its file."""
    return Config(
        top.path or base.path,
        {**base.values, **top.values},
        {**base.roles, **top.roles},
        {**base.sources, **top.sources},
        {**base.prices, **top.prices},
        {**base.mcp_servers, **top.mcp_servers},
    )


def load_config(path: Path) -> Config:
    """Read and check the config file; a missing file is an empty config."""
    from chatbot.capped import decode, parse_toml, read_file

    if not (path.exists() or path.is_symlink()):
        return Config()
    text = decode(read_file(path, cap=CONFIG_LIMIT), "UTF-8", str(path), "; save it as UTF-8")
    data = parse_toml(path, text)
    values: dict[str, Any] = {}
    roles: dict[str, str] = {}
    prices: dict[str, tuple[float, float]] = {}
    servers: dict[str, ServerSpec] = {}
    for key, value in data.items():
        where = f"{path}:{_line_of(text, key)}"
        if key == "roles":
            roles = _roles(value, where, text, path)
        elif key == "prices":
            prices = _prices(value, where)
        elif key == "mcp_servers":
            servers = parse_servers(value, where)
        elif key in SETTINGS:
            values[key] = _checked(key, value, where)
        else:
            known = ", ".join([*SETTINGS, "roles", "prices", "mcp_servers"])
            raise UsageError(f"{where}: unknown setting '{key}' (known: {known})")
    sources = dict.fromkeys([*values, *(f"role {name}" for name in roles)], path)
    return Config(path, values, roles, sources, prices, servers)


def _prices(value: Any, where: str) -> dict[str, tuple[float, float]]:
    """``[prices]``: model = [input, output], dollars per million tokens."""
    shape = "'prices' must be a table of model = [input, output] dollars per million tokens"
    if not isinstance(value, dict):
        raise UsageError(f"{where}: {shape}")
    prices = {}
    for model, pair in value.items():
        numbers = pair if isinstance(pair, list) and len(pair) == 2 else []
        if not numbers or not all(_price(n) for n in numbers):
            raise UsageError(f"{where}: the price of '{model}': {shape}")
        prices[model] = (float(numbers[0]), float(numbers[1]))
    return prices


def _price(number: Any) -> bool:
    ok = isinstance(number, int | float) and not isinstance(number, bool)
    return ok and math.isfinite(number) and number >= 0


def _checked(key: str, value: Any, where: str) -> Any:
    option = SETTINGS[key]
    try:
        return checked(value, option.kind, option.low, option.high)
    except OutOfLimits as problem:
        raise UsageError(f"{where}: '{key}' {problem}") from None


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
    write_private(path, _template())
