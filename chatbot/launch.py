"""Start a chat from the command line's options: resolve settings, check tool and output
flags, read the input, run the mode. Knows nothing of typer, so the console script can start
a plain ``writer-chat "question"`` without importing it (see chatbot.entry)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatbot import debug
from chatbot.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    CommandLineError,
    UsageError,
    WriterChatError,
)
from chatbot.inputs import DEFAULT_MAX_INPUT, one_shot_message
from chatbot.settings import DEFAULT_TOOL_ROUNDS

if TYPE_CHECKING:
    from chatbot.settings import Settings

PROG = "writer-chat"


@dataclass(frozen=True)
class Options:
    """Everything the command line can say; each default is what leaving the flag out means."""

    prompt: tuple[str, ...] = ()
    base_url: str | None = None
    timeout: float | None = None
    retries: int | None = None
    allow_insecure_http: bool = False
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    context_window: int | None = None
    n: int = 1
    system: str | None = None
    role: str | None = None
    continue_latest: bool = False
    cid: str | None = None
    no_save: bool = False
    files: tuple[Path, ...] = ()
    max_input: int = DEFAULT_MAX_INPUT
    encoding: str = "utf-8"
    images: tuple[str, ...] = ()
    graph: tuple[str, ...] = ()
    graph_subqueries: bool = False
    web_search: bool = False
    include_domains: tuple[str, ...] = ()
    exclude_domains: tuple[str, ...] = ()
    functions: Path | None = None
    yes: bool = False
    tool_rounds: int = DEFAULT_TOOL_ROUNDS
    no_markdown: bool = False
    raw: bool = False
    code_theme: str | None = None
    debug_trace: bool = False
    json_output: bool = False
    json_schema: str | None = None


def start(options: Options) -> int:
    """Run writer-chat as ``options`` say; return the exit code."""
    if options.debug_trace or os.environ.get("WRITER_LOG", "").lower() == "debug":
        debug.enable()
    flags = {
        "base_url": options.base_url,
        "timeout": options.timeout,
        "retries": options.retries,
        "model": options.model,
        "temperature": options.temperature,
        "max_tokens": options.max_tokens,
        "top_p": options.top_p,
        "system": options.system,
        "role": options.role,
        "code_theme": options.code_theme,
    }
    settings, _ = resolve_from_sources(
        flags,
        allow_insecure_http=options.allow_insecure_http,
        stop=options.stop,
        markdown=not (options.no_markdown or options.raw) and "NO_COLOR" not in os.environ,
        raw=options.raw,
        save=not options.no_save,
        continue_latest=options.continue_latest,
        conversation_id=options.cid,
        context_window=options.context_window,
    )
    debug.remember_secret(settings.api_key)
    settings = _with_tools_and_output(settings, options)
    message = one_shot_message(
        " ".join(options.prompt),
        sys.stdin,
        max_bytes=options.max_input,
        encoding=options.encoding,
        files=list(options.files),
    )
    from chatbot.app import run

    return run(settings, message)


def _with_tools_and_output(settings: Settings, options: Options) -> Settings:
    """Check the tool and output flags together, before anything is sent."""
    import dataclasses

    from chatbot.images import image_part
    from chatbot.tools import check_one_built_in, graph_tool, web_search_tool

    if options.n != 1:
        raise UsageError("--n: only 1 is supported (writer-chat shows one reply per request)")
    if (options.include_domains or options.exclude_domains) and not options.web_search:
        raise UsageError("--include-domain and --exclude-domain go with --web-search")
    tools = []
    if options.graph:
        tools.append(graph_tool(list(options.graph), options.graph_subqueries))
    if options.web_search:
        tools.append(web_search_tool(list(options.include_domains), list(options.exclude_domains)))
    check_one_built_in(tools)
    changes: dict[str, Any] = {
        "tools": tuple(tools),
        "functions": options.functions,
        "yes": options.yes,
        "tool_rounds": options.tool_rounds,
        "json_output": options.json_output,
    }
    if options.json_schema is not None:
        from chatbot.schema import STRUCTURED_MODELS, load_schema

        if settings.model not in STRUCTURED_MODELS:
            raise UsageError(f"--json-schema needs {' or '.join(STRUCTURED_MODELS)}")
        changes["schema"] = load_schema(options.json_schema)
    if options.images:
        if settings.model != "palmyra-x5":
            raise UsageError(f"--image needs palmyra-x5, not {settings.model}")
        changes["image_parts"] = tuple(image_part(source) for source in options.images)
    return dataclasses.replace(settings, **changes)


def resolve_from_sources(
    flags: dict[str, Any], *, allow_insecure_http: bool = False, **fixed: Any
) -> tuple[Settings, dict[str, str]]:
    """Settings from flags, the environment, the working directory's .env and the config."""
    from chatbot.config import config_path, load_config
    from chatbot.settings import dotenv_warning, read_dotenv, resolve_settings

    warning = dotenv_warning(Path.cwd())
    if warning:
        sys.stderr.write(f"{PROG}: warning: {warning}\n")
    return resolve_settings(
        flags,
        os.environ,
        read_dotenv(Path.cwd()),
        load_config(config_path()),
        allow_insecure_http=allow_insecure_http,
        **fixed,
    )


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()
    return code


def run_guarded(action: Callable[[], int]) -> int:
    """Run ``action``; every failure becomes one line on stderr and an exit code."""
    try:
        return action()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except CommandLineError as error:
        return _fail(str(error), error.exit_code)
    except WriterChatError as error:
        return _fail(f"error: {debug.redact(str(error))}", error.exit_code)
    except Exception as error:
        if debug.enabled():
            sys.stderr.write(debug.redacted_traceback())
        return _fail(
            f"unexpected error: {type(error).__name__}: {debug.redact(str(error))}", EXIT_FAILURE
        )
