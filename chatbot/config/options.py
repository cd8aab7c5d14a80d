"""Every option of ``writer-chat``, declared once.

This table gives the parser its flags (chatbot.cli.parser), the defaults, the keys and bounds
of the config file and its template (chatbot.config.config_file), what ``config show`` lists, and
so the help text and the README's usage section. Nothing else declares an option or a default.
The request's parameters (model, temperature, …) take their type, limits and help from the
engine's table (chatbot.engine.params); here they only get their flags and panel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatbot.engine.params import PARAM, TOOL_ROUNDS, OutOfLimits, checked
from chatbot.errors import UsageError

CONNECTION, MODEL, CONVERSATION = "Connection", "Model", "Conversation"
INPUT, OUTPUT, TOOLS = "Input", "Output", "Tools"


@dataclass(frozen=True)
class Option:
    name: str  # the parser's parameter, the config key, the settings value
    flags: tuple[str, ...]
    help: str
    panel: str
    kind: type = str  # str, int, float, bool or Path
    default: Any = None  # what leaving the flag out means (None: not sent / not set)
    metavar: str | None = None
    low: float | None = None
    high: float | None = None
    many: bool = False  # repeatable; the value is a tuple
    config: bool = False  # may also be set in the config file (and config show lists it)
    flag: bool = True  # False: a setting of the config file only
    example: Any = None  # a value for the config file template, when the default is None
    env: str | None = None  # the environment variable that also sets it
    shown_default: str | None = None  # the default as --help says it, when not str(default)

    def __post_init__(self) -> None:
        if self.many and self.default is None:
            object.__setattr__(self, "default", ())  # a repeatable option left out: none given
        elif self.kind is bool and self.default is None:
            object.__setattr__(self, "default", False)  # a flag left out: off

    def has_default(self) -> bool:
        return self.default is not None and self.default is not False and self.default != ()

    def shown(self) -> str:
        """The default as a person reads it."""
        if self.shown_default is not None:
            return self.shown_default
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)

    def help_text(self) -> str:
        """The help line, with where else the value comes from and its default."""
        notes = [f"env {self.env}"] if self.env else []
        if self.shown_default is not None or self.has_default():
            notes.append(f"default {self.shown()}")
        if not notes:
            return self.help
        return f"{self.help.rstrip('.')} \\[{'; '.join(notes)}]."


def _request(name: str, flags: tuple[str, ...], **extra: Any) -> Option:
    """The option of one request parameter: its row in chatbot.engine.params, with flags."""
    param = PARAM[name]
    return Option(name, flags, param.help, MODEL, kind=param.kind, default=param.default,
                  metavar=param.metavar, low=param.low, high=param.high, many=param.many,
                  **extra)  # fmt: skip


# fmt: off
OPTIONS: tuple[Option, ...] = (
    # connection
    Option("base_url", ("--base-url",), "API base URL.", CONNECTION,
           default="https://api.writer.com", metavar="URL", env="WRITER_BASE_URL", config=True),
    Option("proxy", ("--proxy",), "Proxy for every request (else HTTPS_PROXY, ALL_PROXY).",
           CONNECTION, metavar="URL", config=True, example="http://proxy.example:3128"),
    Option("timeout", ("--timeout",), "Wait this long to connect and between bytes.", CONNECTION,
           kind=float, default=60.0, metavar="SECONDS", low=0.1, config=True),
    Option("retries", ("--retries",), "Retries before the reply starts: 429, 5xx, network.",
           CONNECTION, kind=int, default=2, metavar="N", low=0, high=10, config=True),
    Option("allow_insecure_http", ("--allow-insecure-http",),
           "Allow a plain http:// base URL that is not loopback.", CONNECTION, kind=bool),
    Option("api_key_command", (), "A command that prints the API key (pass show writer).",
           CONNECTION, metavar="COMMAND", config=True, flag=False, example="pass show writer"),
    # model
    _request("model", ("--model", "-m"), config=True),
    _request("temperature", ("--temperature",), config=True, example=0.7),
    _request("max_tokens", ("--max-tokens",), config=True, example=2048),
    _request("top_p", ("--top-p",), config=True, example=1.0),
    _request("stop", ("--stop",)),
    Option("context_window", ("--context-window",),
           "Override the model's context window (for trimming).", MODEL,
           kind=int, metavar="TOKENS", low=64),
    Option("n", ("--n",), "Number of choices: only 1 is supported (one reply is shown).", MODEL,
           kind=int, default=1, metavar="N"),
    # conversation
    Option("system", ("--system", "-s"), "System prompt for the conversation.", CONVERSATION,
           metavar="TEXT", config=True, example="You are a concise assistant."),
    Option("role", ("--role", "-r"), "Use a named system prompt from the config file.",
           CONVERSATION, metavar="NAME"),
    Option("continue_latest", ("--continue", "-c"), "Continue the latest saved conversation.",
           CONVERSATION, kind=bool),
    Option("cid", ("--cid",), "Continue a saved conversation (a unique id prefix).",
           CONVERSATION, metavar="ID"),
    Option("no_save", ("--no-save",), "Do not save this conversation.", CONVERSATION, kind=bool),
    Option("max_cost", ("--max-cost",),
           "Send nothing estimated to cost more than this many dollars.", CONVERSATION,
           kind=float, metavar="DOLLARS", low=0.0, config=True, example=0.05),
    Option("confirm_cost", ("--confirm-cost",),
           "In the chat, ask before sending a message estimated over this.", CONVERSATION,
           kind=float, default=0.10, metavar="DOLLARS", low=0.0, config=True,
           shown_default="$0.10"),
    # input
    Option("files", ("--file", "-f"), "Add a file's contents to the prompt (repeatable).", INPUT,
           kind=Path, metavar="PATH", many=True),
    Option("template", ("--template", "-t"),
           "Use a saved template (templates lists them).", INPUT, metavar="NAME"),
    Option("params", ("--param", "-p"), "A value for a template's {placeholder} (repeatable).",
           INPUT, metavar="NAME=VALUE", many=True),
    Option("save_template", ("--save",),
           "Save these flags and prompt as a template, and send nothing.", INPUT,
           metavar="NAME"),
    Option("force", ("--force",), "With --save: replace a template of that name.", INPUT,
           kind=bool),
    Option("max_input", ("--max-input",), "Refuse piped input larger than this.", INPUT,
           kind=int, default=8 * 1024 * 1024, metavar="BYTES", low=1, shown_default="8 MB"),
    Option("encoding", ("--encoding",), "Encoding of piped input and files.", INPUT,
           default="utf-8", metavar="NAME"),
    Option("images", ("--image",), "Attach an image (palmyra-x5 only; repeatable).", INPUT,
           metavar="PATH|URL", many=True),
    # output
    Option("no_markdown", ("--no-markdown",),
           "Print replies as plain text (NO_COLOR keeps the layout, drops colour).", OUTPUT,
           kind=bool),
    Option("raw", ("--raw",), "Write the model's text unchanged, control characters too.",
           OUTPUT, kind=bool),
    Option("no_stream", ("--no-stream",), "Ask for the whole reply at once, then show it.",
           OUTPUT, kind=bool),
    Option("shell", ("--shell",),
           "Get one command for your shell: printed to a pipe, or to execute, describe, revise,"
           " copy or abort on a terminal.", OUTPUT, kind=bool),
    Option("code_theme", ("--code-theme",), "Pygments style for code blocks.", OUTPUT,
           default="monokai", metavar="NAME", config=True),
    Option("extract", ("--extract",),
           "Print only the reply's code blocks (-x), or the Nth (-x N).", OUTPUT, kind=int,
           metavar="N", low=0),
    Option("json_output", ("--json",), "Print the final completion object as JSON (for scripts).",
           OUTPUT, kind=bool),
    Option("json_schema", ("--json-schema",),
           "Ask for JSON matching this schema; the reply is checked.", OUTPUT,
           metavar="FILE|JSON"),
    Option("debug_trace", ("--debug",), "Trace requests and responses on stderr, key redacted.",
           OUTPUT, kind=bool, env="WRITER_LOG"),
    # tools
    Option("graph", ("--graph",),
           "Answer from a Knowledge Graph: a name, id or id prefix (repeatable).", TOOLS,
           metavar="NAME", many=True),
    Option("graph_subqueries", ("--graph-subqueries",),
           "Let the Knowledge Graph tool ask subqueries.", TOOLS, kind=bool),
    Option("grounding_level", ("--grounding",),
           "With --graph: how strictly to keep to the sources, 0 to 1.", TOOLS, kind=float,
           metavar="X", low=0.0, high=1.0, config=True, example=0.5),
    Option("inline_citations", ("--inline-citations",),
           "With --graph: number the sources where the reply cites them.", TOOLS, kind=bool,
           config=True, example=True),
    Option("max_snippets", ("--max-snippets",),
           "With --graph: snippets to retrieve, 1 to 60 (5 to 25 advised).", TOOLS, kind=int,
           metavar="N", low=1, high=60, config=True, example=15),
    Option("max_subquestions", ("--max-subquestions",),
           "With --graph: subquestions to ask at most, 1 to 10.", TOOLS, kind=int, metavar="N",
           low=1, high=10, config=True, example=4),
    Option("keyword_threshold", ("--keyword-threshold",),
           "With --graph: least keyword match for a snippet, 0 to 1.", TOOLS, kind=float,
           metavar="X", low=0.0, high=1.0, config=True, example=0.7),
    Option("semantic_threshold", ("--semantic-threshold",),
           "With --graph: least semantic match for a snippet, 0 to 1.", TOOLS, kind=float,
           metavar="X", low=0.0, high=1.0, config=True, example=0.7),
    Option("search_weight", ("--search-weight",),
           "With --graph: keyword (0) against semantic (100) search.", TOOLS, kind=int,
           metavar="N", low=0, high=100, config=True, example=50),
    Option("web_search", ("--web-search",), "Let the model search the web; sources are listed.",
           TOOLS, kind=bool),
    Option("include_domains", ("--include-domain",), "Web search only these domains (repeatable).",
           TOOLS, metavar="DOMAIN", many=True),
    Option("exclude_domains", ("--exclude-domain",), "Web search never these domains (repeatable).",
           TOOLS, metavar="DOMAIN", many=True),
    Option("functions", ("--functions",),
           "Python file whose functions the model may call (asks first).", TOOLS,
           kind=Path, metavar="FILE"),
    Option("mcp", ("--mcp",),
           "Turn on this config file's MCP server (repeatable); its tools join the functions.",
           TOOLS, metavar="NAME", many=True),
    Option("yes", ("--yes", "-y"), "Run function calls without asking.", TOOLS, kind=bool),
    Option("tool_rounds", ("--tool-rounds",), "At most this many rounds of function calls.",
           TOOLS, kind=int, default=TOOL_ROUNDS, metavar="N", low=1, high=50),
)
# fmt: on

BY_NAME: dict[str, Option] = {option.name: option for option in OPTIONS}
CONFIG_OPTIONS: tuple[Option, ...] = tuple(option for option in OPTIONS if option.config)


def value(given: Mapping[str, Any], name: str) -> Any:
    """The option's value from the command line, else its default."""
    return given[name] if name in given else BY_NAME[name].default


def check_given(given: Mapping[str, Any], source: str = "") -> None:
    """Refuse a value of the wrong type or outside its limits, whether a flag gave it or a
    template merged under the flags (``source`` names the template): nan and inf too, which
    the parser's ranges let through. One line, before anything is sent or saved."""
    for name, item in given.items():
        option = BY_NAME.get(name)
        if option is None or option.kind not in (int, float):
            continue
        where = f" (from {source})" if source else ""
        for one in item if option.many else (item,):
            if option.kind is float and isinstance(one, float) and not math.isfinite(one):
                raise UsageError(
                    f"{option.flags[0]}: {one} is not a number writer-chat can use{where}"
                )
            try:
                checked(one, option.kind, option.low, option.high)
            except OutOfLimits as problem:
                raise UsageError(f"{option.flags[0]}: {one!r} {problem}{where}") from None


def given_only(parsed: Mapping[str, Any]) -> dict[str, Any]:
    """The options the user actually gave (the parser fills in None, False and empty lists)."""
    return {
        name: tuple(item) if isinstance(item, list) else item
        for name, item in parsed.items()
        if item is not None and item is not False and item != []
    }
