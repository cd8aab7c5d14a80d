"""Show an exchange as it happens: the screen's observer of the engine's events.

One renderer per request (live Markdown or plain text), tool calls and their answers as
status lines, the reply's sources at the end. The REPL and one-shot mode use the same view;
they differ only in where status lines go.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TextIO

from chatbot import sanitize
from chatbot.engine.events import (
    Delta,
    Event,
    Finished,
    Notice,
    ReplyEnded,
    RequestSent,
    ToolAnswered,
    ToolAsked,
)
from chatbot.engine.tools import source_lines
from chatbot.env import Env
from chatbot.sanitize import json_escaped
from chatbot.terminal.plain import Renderer
from chatbot.terminal.tty import keys_not_echoed
from chatbot.words import counted


def arguments_shown(arguments: str) -> list[str]:
    """Every argument of a call, whole, one line each (``name: value``, the value as JSON:
    runs of spaces, line breaks and invisible characters written so that they show). Nothing
    is cut or folded: what the user approves is all of what runs."""
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return [json_escaped(json.dumps(arguments, ensure_ascii=False))]  # shown as it came
    if not isinstance(parsed, dict):
        return [json_escaped(json.dumps(parsed, ensure_ascii=False))]
    return [
        f"{json_escaped(json.dumps(name, ensure_ascii=False))}:"
        f" {json_escaped(json.dumps(value, ensure_ascii=False))}"
        for name, value in parsed.items()
    ]


class ExchangeView:
    """Draws each event of an exchange; ``say`` shows a status line, ``sources`` the sources."""

    def __init__(
        self,
        new_renderer: Callable[[], Renderer],
        say: Callable[[str], None],
        sources: Callable[[list[str]], None],
        env: Env,
    ) -> None:
        self._env = env  # its terminal stops echoing keys while a reply is drawn
        self._new_renderer = new_renderer
        self._say = say
        self._sources = sources
        self._renderer: Renderer | None = None
        self._quiet = contextlib.ExitStack()  # keys not echoed while a reply is drawn

    def __call__(self, event: Event) -> None:
        if isinstance(event, Delta):  # by far the commonest: first
            if self._renderer is not None:
                self._renderer.feed(event.kind, event.text)
        elif isinstance(event, RequestSent):
            self._quiet.enter_context(keys_not_echoed(self._env))
            self._renderer = self._new_renderer()
            self._renderer.start()
        elif isinstance(event, Notice):
            if self._renderer is not None:
                self._renderer.notice(event.text)
            else:
                self._say(event.text)
        elif isinstance(event, ReplyEnded):
            self.close(event.status)
        elif isinstance(event, ToolAsked):
            call = event.call
            shown = arguments_shown(call.arguments)
            said = counted(len(shown), "argument")
            self._say(f"tool call: {sanitize.one_line(call.name, 80)}, {said}:")
            for line in shown:  # whole: what is approved is what runs
                self._say(f"  {line}")
        elif isinstance(event, ToolAnswered):
            self._say(f"tool result: {sanitize.one_line(event.result, 120)}")
        elif isinstance(event, Finished) and event.ok:
            lines = source_lines(
                event.reply.graph_data, event.reply.web_search_data, event.reply.citations
            )
            if lines:
                self._sources(lines)

    def close(self, status: str | None = None) -> None:
        """End the reply being drawn (``status`` None: the exchange stopped in between)."""
        renderer, self._renderer = self._renderer, None
        try:
            if renderer is not None and status is not None:
                renderer.finish(status)
        finally:
            self._quiet.close()


def print_sources(lines: list[str], out: TextIO, *, terminal: bool) -> None:
    """The reply's Knowledge Graph or web sources, numbered, after the reply."""
    clean = sanitize.visible if terminal else sanitize.dropped
    out.write("\nSources\n" + "".join(clean(line) + "\n" for line in lines))
    out.flush()
