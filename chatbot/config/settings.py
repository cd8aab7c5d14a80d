"""Resolve every setting once, up front, into one frozen object that is passed down.

Where a value comes from: a flag, then the environment, then the working directory's ``.env``,
then the config file, then the option table's default (chatbot.config.options).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from chatbot.config.config_file import Config
from chatbot.config.options import BY_NAME, CONFIG_OPTIONS, value
from chatbot.engine.params import PARAM, PARAMS
from chatbot.engine.request import ChatParams
from chatbot.env import KEY_VARIABLE, Env
from chatbot.errors import UsageError
from chatbot.tools.mcp_servers import ServerSpec

BASE_URL_VARIABLE = "WRITER_BASE_URL"
DEFAULT_BASE_URL: str = BY_NAME["base_url"].default


@dataclass(frozen=True)
class Settings:
    """What one run needs, resolved from every source (no defaults here: see the table)."""

    api_key: str = field(repr=False)
    base_url: str
    # the request's parameters (model, temperature, max_tokens, top_p, stop: the rows of
    # chatbot.engine.params), as one value the chat starts from
    request: ChatParams
    system: str | None
    timeout: float
    retries: int
    proxy: str | None  # --proxy or the config's; None: the environment's, by httpx's rules
    markdown: bool  # live Markdown on a terminal (not --no-markdown or --raw)
    raw: bool
    stream: bool  # the reply as it is written (not --no-stream)
    shell: bool  # --shell: one command for the user's shell
    save: bool
    continue_latest: bool
    conversation_id: str | None
    context_window: int | None
    max_cost: float | None  # dollars: a request estimated over it is not sent
    confirm_cost: float  # dollars: over it, the REPL asks before sending
    code_theme: str
    roles: tuple[tuple[str, str], ...]  # named system prompts from the config file
    prices: tuple[tuple[str, tuple[float, float]], ...]  # list prices, the config's over them
    tools: tuple[dict[str, Any], ...]  # built-in tools (graph, web search) to send
    # --web-search beside --graph: (include, exclude) domains of the search run as a function
    web_function: tuple[tuple[str, ...], tuple[str, ...]] | None
    grounding_level: float | None  # the graph tool's query_config, from flags or the config
    inline_citations: bool
    max_snippets: int | None
    max_subquestions: int | None
    keyword_threshold: float | None
    semantic_threshold: float | None
    search_weight: int | None
    functions: Path | None  # a Python file of functions the model may call
    mcp_servers: tuple[ServerSpec, ...]  # the config's [mcp_servers.NAME] tables
    mcp_on: tuple[str, ...]  # the servers on at the start: --mcp NAME, or enabled = true
    yes: bool  # run function calls without asking
    tool_rounds: int
    schema: dict[str, Any] | None  # ask for and check JSON of this shape (--json-schema)
    json_output: bool  # print the final completion object (--json)
    extract: int | None  # print only the code blocks (0: all) or the Nth (-x)
    image_parts: tuple[dict[str, Any], ...]
    flagged: frozenset[str]  # the settings given as flags (or by a template): they override

    @property
    def model(self) -> str:
        return self.request.model

    def value(self, name: str) -> Any:
        """A setting by its option's name (a request parameter's from ``request``)."""
        return getattr(self.request if name in PARAM else self, name)


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


DOTENV_LIMIT = 1024 * 1024  # bytes of a .env file: a few lines of settings


def read_dotenv(directory: Path) -> dict[str, str]:
    """The ``.env`` of the working directory only: never a parent's, never site-packages'."""
    path = directory / ".env"
    if not path.exists():
        return {}
    import io

    from dotenv import dotenv_values  # imported here: most runs have no .env

    from chatbot.capped import decode, read_file

    text = decode(read_file(path, cap=DOTENV_LIMIT), "utf-8", str(path))
    return {key: value for key, value in dotenv_values(stream=io.StringIO(text)).items() if value}


class Connection(NamedTuple):
    api_key: str
    base_url: str
    key_source: str  # "environment", ".env", "system keychain (BACKEND)" or "api_key_command, …"
    url_source: str  # "flag", "environment", ".env", "config file (PATH)" or "default"


def resolve_connection(
    flag_base_url: str | None,
    environ: Mapping[str, str],
    dotenv: Mapping[str, str],
    *,
    allow_insecure_http: bool = False,
    configured: tuple[str | None, str] = (None, "config file"),
    key_command: tuple[str | None, str] = (None, "config file"),
    keychain: Callable[[], tuple[str, str] | None] | None = None,
    cwd: str | None = None,
) -> Connection:
    """The key and base URL, and where each came from: flags beat the environment, which
    beats ``.env``. The key: the environment, ``.env``, the keychain, then api_key_command;
    each later place is looked in only when no key was found earlier.

    A base URL from ``.env`` is honoured only when the key comes from that same file, so a
    ``.env`` in an untrusted checkout cannot send the user's real key to another host.
    """
    key_from_env = environ.get(KEY_VARIABLE, "").strip()
    api_key = key_from_env or dotenv.get(KEY_VARIABLE, "").strip()
    key_source = "environment" if key_from_env else ".env"
    if not api_key and keychain is not None and (kept := keychain()):
        api_key, key_source = kept[0], f"system keychain ({kept[1]})"
    if not api_key and key_command[0]:  # run only when no key was found earlier
        api_key, key_source = (
            _key_from_command(key_command[0], environ, cwd),
            f"api_key_command, {key_command[1]}",
        )
    if not api_key:
        from chatbot.inputs.keychain import available

        where = (
            "keep it in the system keychain: writer-chat key set"
            if available(environ)
            else "have api_key_command in the config print it (no system keychain here)"
        )
        raise UsageError(
            f"no API key: set {KEY_VARIABLE} in the environment or in a .env file here"
            f" (see .env.example), or {where}"
        )
    if not plausible_key(api_key):
        where = {"environment": "the environment", ".env": "the .env file"}.get(
            key_source,
            "the system keychain"
            if key_source.startswith("system")
            else "what api_key_command printed",
        )
        raise UsageError(
            f"{KEY_VARIABLE} in {where} has characters no API key has (non-ASCII, spaces or"
            " line breaks): copy it again from Writer's console"
        )
    candidates = [("flag", flag_base_url), ("environment", environ.get(BASE_URL_VARIABLE))]
    if not key_from_env:
        candidates.append((".env", dotenv.get(BASE_URL_VARIABLE)))
    candidates.append((configured[1], configured[0]))
    url_source, base_url = next(
        ((source, url.strip()) for source, url in candidates if url and url.strip()),
        ("default", DEFAULT_BASE_URL),
    )
    return Connection(
        api_key,
        check_base_url(base_url, allow_insecure_http),
        key_source,
        url_source,
    )


def plausible_key(key: str) -> bool:
    """Printable ASCII without spaces or line breaks, as every Writer key is."""
    return key.isascii() and key.isprintable() and not any(c.isspace() for c in key)


def masked_key(key: str) -> str:
    """The last four characters, for a person to tell keys apart; nothing of a short one."""
    return "****" + key[-4:] if len(key) > 8 else "****"


KEY_COMMAND_TIMEOUT = 10.0
KEY_COMMAND_LIMIT = 64 * 1024  # what a key command may print: keys are under 200 bytes


def _key_from_command(command: str, environ: Mapping[str, str], cwd: str | None) -> str:
    """The API key a command prints (``pass show writer``, ``op read …``): run without a
    shell, with a timeout, in ``cwd`` (None: this process's own); its own error output is
    shown when it fails."""
    import shlex

    from chatbot.inputs.door import run_command, size_text
    from chatbot.sanitize import one_line

    try:
        argv = shlex.split(command)
    except ValueError as problem:
        raise UsageError(f"api_key_command cannot be read as a command: {problem}") from None
    ran = run_command(
        argv,
        environ=environ,
        cwd=cwd,
        cap=KEY_COMMAND_LIMIT,
        seconds=KEY_COMMAND_TIMEOUT,
        what=f"api_key_command ({one_line(command, 80)})",
        apart=True,
        key_source=True,
    )
    if ran.cut:
        raise UsageError(
            f"api_key_command printed more than {size_text(KEY_COMMAND_LIMIT)}: no API key is"
            " that long"
        )
    if ran.status != 0:
        said = one_line(ran.errors.decode("utf-8", "replace"), 200) or "no message"
        raise UsageError(f"api_key_command failed (exit {ran.status}): {said}")
    key = ran.output.decode("utf-8", "replace").strip()
    if not key:
        said = one_line(ran.errors.decode("utf-8", "replace"), 200)
        raise UsageError(
            f"api_key_command ({one_line(command, 80)}) printed no key"
            + (f"; it said: {said}" if said else "")
        )
    return key


def resolve_settings(
    given: Mapping[str, Any],
    environ: Mapping[str, str],
    dotenv: Mapping[str, str],
    config: Config,
    env: Env | None = None,
) -> tuple[Settings, dict[str, str]]:
    """Every setting from the first source that has it: flag, environment, ``.env``, config
    file, default. Returns the settings and, for ``config show``, where each came from."""
    sources: dict[str, str] = {}
    values: dict[str, Any] = {}
    for option in CONFIG_OPTIONS:
        name = option.name
        if name in ("base_url", "api_key_command"):
            continue  # with the key, below: the environment and .env come before the config
        if name in given:
            values[name], sources[name] = given[name], "flag"
        elif name in config.values:
            values[name], sources[name] = config.values[name], config.source(name)
        else:
            values[name], sources[name] = option.default, "default"
    if sources["code_theme"] != "default":
        _check_code_theme(values["code_theme"], sources["code_theme"])
    role = given.get("role")
    if role is not None and "system" not in given:
        if role not in config.roles:
            known = ", ".join(sorted(config.roles)) or "none defined"
            raise UsageError(f"unknown role '{role}' (roles in the config file: {known})")
        values["system"], sources["system"] = config.roles[role], f"role '{role}'"
    connection = resolve_connection(
        given.get("base_url"),
        environ,
        dotenv,
        allow_insecure_http=value(given, "allow_insecure_http"),
        configured=(config.values.get("base_url"), config.source("base_url")),
        key_command=(config.values.get("api_key_command"), config.source("api_key_command")),
        keychain=lambda: _keychain(environ),
        cwd=env.cwd if env is not None else None,
    )
    sources["api_key"], sources["base_url"] = connection.key_source, connection.url_source
    raw = value(given, "raw")
    chosen = _tools_and_output(given, values, env)
    request = ChatParams(
        **{p.name: values.pop(p.name) if p.name in values else value(given, p.name) for p in PARAMS}
    )
    settings = Settings(
        api_key=connection.api_key,
        base_url=connection.base_url,
        request=request,
        markdown=not (value(given, "no_markdown") or raw),
        raw=raw,
        stream=not value(given, "no_stream"),
        shell=value(given, "shell"),
        save=not value(given, "no_save"),
        continue_latest=value(given, "continue_latest"),
        conversation_id=value(given, "cid"),
        context_window=value(given, "context_window"),
        roles=tuple(config.roles.items()),
        prices=tuple(prices(config).items()),
        functions=value(given, "functions"),
        mcp_servers=tuple(config.mcp_servers.values()),
        mcp_on=_mcp_on(value(given, "mcp"), config),
        yes=value(given, "yes"),
        tool_rounds=value(given, "tool_rounds"),
        json_output=value(given, "json_output"),
        extract=value(given, "extract"),
        flagged=frozenset(
            name  # a flag, or --role giving the system prompt
            for name, source in sources.items()
            if source == "flag" or source.startswith("role '")
        ),
        **values,
        **chosen,
    )
    return settings, sources


def _mcp_on(asked: tuple[str, ...], config: Config) -> tuple[str, ...]:
    """The servers --mcp names (each must be in the config) and those enabled there."""
    for name in asked:
        if name not in config.mcp_servers:
            known = ", ".join(sorted(config.mcp_servers)) or "none: add a [mcp_servers.NAME] table"
            raise UsageError(f"--mcp {name}: no such server in the config file (known: {known})")
    enabled = [name for name, spec in config.mcp_servers.items() if spec.enabled]
    return tuple(dict.fromkeys([*asked, *enabled]))


def prices(config: Config) -> dict[str, tuple[float, float]]:
    """Writer's list prices, with the config files' [prices] over them, model by model."""
    from chatbot.engine.prices import LIST_PRICES

    return {**LIST_PRICES, **config.prices}


def _keychain(environ: Mapping[str, str]) -> tuple[str, str] | None:
    from chatbot.inputs.keychain import read_key

    return read_key(environ)


def _check_code_theme(name: str, source: str) -> None:
    """A Pygments style that exists (pygments loads only when a theme was asked for)."""
    from pygments.styles import get_all_styles, get_style_by_name
    from pygments.util import ClassNotFound

    try:
        get_style_by_name(name)
    except ClassNotFound:
        near = ", ".join(sorted(get_all_styles())[:12])
        raise UsageError(
            f"unknown code theme '{name}' (from the {source}): try one of {near}, …"
        ) from None


QUERY_CONFIG = (
    "grounding_level",
    "inline_citations",
    "max_snippets",
    "max_subquestions",
    "keyword_threshold",
    "semantic_threshold",
    "search_weight",
)


def _tools_and_output(
    given: Mapping[str, Any], values: Mapping[str, Any], env: Env | None
) -> dict[str, Any]:
    """The tools, the output checks and the images the flags ask for; a file they name is
    the Env's (resolving settings without one, as tests of the sources do, names none)."""
    """The tool and output flags, checked together before anything is sent."""
    model = values["model"]
    query_config = {
        name: values[name] for name in QUERY_CONFIG if values[name] not in (None, False)
    }
    if not given.get("graph"):
        flagged = [BY_NAME[name].flags[0] for name in QUERY_CONFIG if name in given]
        if flagged:
            verb = "go" if len(flagged) > 1 else "goes"
            raise UsageError(f"{', '.join(flagged)} {verb} with --graph")
    if value(given, "n") != 1:
        raise UsageError("--n: only 1 is supported (writer-chat shows one reply per request)")
    include, exclude = value(given, "include_domains"), value(given, "exclude_domains")
    web_search = value(given, "web_search")
    if (include or exclude) and not web_search:
        raise UsageError("--include-domain and --exclude-domain go with --web-search")
    from chatbot.engine.tools import graph_tool, web_search_tool

    tools = []
    if given.get("graph"):
        tools.append(
            graph_tool(list(given["graph"]), value(given, "graph_subqueries"), query_config)
        )
    web_function = None
    if web_search and tools:  # Writer takes one built-in a request: the graph goes as itself
        web_function = (tuple(include), tuple(exclude))  # and the search as a function
    elif web_search:
        tools.append(web_search_tool(list(include), list(exclude)))
    schema = None
    if given.get("json_schema") is not None:
        from chatbot.engine.request import STRUCTURED_MODELS
        from chatbot.inputs.schema import load_schema

        if model not in STRUCTURED_MODELS:
            raise UsageError(f"--json-schema needs {' or '.join(STRUCTURED_MODELS)}")
        assert env is not None, "a schema file is read in a run's Env"
        schema = load_schema(given["json_schema"], env)
    image_parts: tuple[dict[str, Any], ...] = ()
    if given.get("images"):
        from chatbot.engine.request import VISION_MODEL
        from chatbot.inputs.images import image_part

        if model != VISION_MODEL:
            raise UsageError(f"--image needs {VISION_MODEL}, not {model}")
        assert env is not None, "an image is read in a run's Env"
        image_parts = tuple(image_part(source, env) for source in given["images"])
    return {
        "tools": tuple(tools),
        "web_function": web_function,
        "schema": schema,
        "image_parts": image_parts,
    }


def resolve_from_sources(given: Mapping[str, Any], env: Env) -> tuple[Settings, dict[str, str]]:
    """Settings from flags, the environment, the working directory's .env and the config."""
    from chatbot.config.config_file import load_configs

    dotenv = read_dotenv(Path(env.cwd))
    return resolve_settings(given, env.environ, dotenv, load_configs(env), env)


def check_base_url(url: str, allow_insecure_http: bool = False) -> str:
    """Refuse URLs that would send the key in clear text anywhere but this machine."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:  # "http://[::1": an IPv6 address not closed
        raise UsageError(f"invalid base URL '{url}': expected https://host[:port]") from None
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


def graph_query(settings: Settings) -> dict[str, Any]:
    """The graph tool's query_config the settings ask for (for /graph in the REPL)."""
    return {
        name: settings.value(name)
        for name in QUERY_CONFIG
        if settings.value(name) not in (None, False)
    }
