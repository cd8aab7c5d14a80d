"""Resolve every setting once, up front, into one frozen object that is passed down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from chatbot.config import Config
from chatbot.errors import UsageError

DEFAULT_MODEL = "palmyra-x5"
DEFAULT_BASE_URL = "https://api.writer.com"
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 2
DEFAULT_CODE_THEME = "monokai"
DEFAULT_TOOL_ROUNDS = 8
DEFAULTS: dict[str, Any] = {
    "model": DEFAULT_MODEL,
    "system": None,
    "temperature": None,
    "max_tokens": None,
    "top_p": None,
    "code_theme": DEFAULT_CODE_THEME,
    "retries": DEFAULT_RETRIES,
    "timeout": DEFAULT_TIMEOUT,
}
KEY_VARIABLE = "WRITER_API_KEY"
BASE_URL_VARIABLE = "WRITER_BASE_URL"


@dataclass(frozen=True)
class Settings:
    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    markdown: bool = True
    raw: bool = False
    save: bool = True
    continue_latest: bool = False
    conversation_id: str | None = None
    context_window: int | None = None
    code_theme: str = DEFAULT_CODE_THEME
    roles: tuple[tuple[str, str], ...] = ()  # named system prompts from the config file
    tools: tuple[dict[str, Any], ...] = ()  # built-in tools (graph, web search) to send
    functions: Path | None = None  # a Python file of functions the model may call
    yes: bool = False  # run function calls without asking
    tool_rounds: int = DEFAULT_TOOL_ROUNDS
    schema: dict[str, Any] | None = None  # ask for and check JSON of this shape (--json-schema)
    json_output: bool = False  # print the final completion object (--json)
    image_parts: tuple[dict[str, Any], ...] = ()


def dotenv_warning(directory: Path) -> str | None:
    """A warning when the working directory's ``.env`` can be read by other users."""
    path = directory / ".env"
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & 0o077:
        return f"{path} can be read by other users (mode {mode & 0o777:o}); run: chmod 600 {path}"
    return None


def read_dotenv(directory: Path) -> dict[str, str]:
    """The ``.env`` of the working directory only: never a parent's, never site-packages'."""
    path = directory / ".env"
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # imported here: most runs have no .env

    return {key: value for key, value in dotenv_values(path).items() if value}


class Connection(NamedTuple):
    api_key: str
    base_url: str
    key_source: str  # "environment" or ".env"
    url_source: str  # "flag", "environment", ".env" or "default"


def resolve_connection(
    flag_base_url: str | None,
    environ: Mapping[str, str],
    dotenv: Mapping[str, str],
    *,
    allow_insecure_http: bool = False,
) -> Connection:
    """The key and base URL, and where each came from: flags beat the environment, which
    beats ``.env``.

    A base URL from ``.env`` is honoured only when the key comes from that same file, so a
    ``.env`` in an untrusted checkout cannot send the user's real key to another host.
    """
    key_from_env = environ.get(KEY_VARIABLE, "").strip()
    api_key = key_from_env or dotenv.get(KEY_VARIABLE, "").strip()
    if not api_key:
        raise UsageError(
            f"no API key: set {KEY_VARIABLE} in the environment or in a .env file here"
            " (see .env.example)"
        )
    candidates = [("flag", flag_base_url), ("environment", environ.get(BASE_URL_VARIABLE))]
    if not key_from_env:
        candidates.append((".env", dotenv.get(BASE_URL_VARIABLE)))
    url_source, base_url = next(
        ((source, url.strip()) for source, url in candidates if url and url.strip()),
        ("default", DEFAULT_BASE_URL),
    )
    return Connection(
        api_key,
        check_base_url(base_url, allow_insecure_http),
        "environment" if key_from_env else ".env",
        url_source,
    )


def resolve_settings(
    flags: dict[str, Any],
    environ: Mapping[str, str],
    dotenv: Mapping[str, str],
    config: Config,
    **fixed: Any,
) -> tuple[Settings, dict[str, str]]:
    """Every setting from the first source that has it: flag, environment, ``.env``, config
    file, default. Returns the settings and, for ``config show``, where each came from."""
    sources: dict[str, str] = {}
    values: dict[str, Any] = {}
    config_source = f"config file ({config.path})"
    for name, default in DEFAULTS.items():
        if flags.get(name) is not None:
            values[name], sources[name] = flags[name], "flag"
        elif name in config.values:
            values[name], sources[name] = config.values[name], config_source
        else:
            values[name], sources[name] = default, "default"
    role = flags.get("role")
    if role is not None and flags.get("system") is None:
        if role not in config.roles:
            known = ", ".join(sorted(config.roles)) or "none defined"
            raise UsageError(f"unknown role '{role}' (roles in the config file: {known})")
        values["system"], sources["system"] = config.roles[role], f"role '{role}'"
    connection = resolve_connection(
        flags.get("base_url"), environ, dotenv, allow_insecure_http=fixed.pop("allow_insecure_http")
    )
    sources["api_key"], sources["base_url"] = connection.key_source, connection.url_source
    roles = tuple(config.roles.items())
    settings = Settings(
        api_key=connection.api_key,
        base_url=connection.base_url,
        roles=roles,
        **values,
        **fixed,
    )
    return settings, sources


def check_base_url(url: str, allow_insecure_http: bool = False) -> str:
    """Refuse URLs that would send the key in clear text anywhere but this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"invalid base URL '{url}': expected https://host[:port]")
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not allow_insecure_http:
        raise UsageError(
            f"refusing to send the API key over plain http to {parts.hostname}; use https "
            "(or --allow-insecure-http)"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only plain-http URLs get here

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
