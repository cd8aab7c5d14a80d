"""The ``--debug`` trace: requests, responses and stream events on stderr, secrets redacted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TextIO

from chatbot.redaction import Redactor

LOGGER_NAME = "writer_chat"
log = logging.getLogger(LOGGER_NAME)

REDACTOR = Redactor()  # the secrets of this run: every way out cuts them (chatbot.redaction)


def remember_secret(secret: str) -> None:
    """Register a value that must never be shown (the API key)."""
    REDACTOR.add(secret)


def redact_secrets(text: str) -> str:
    """Hide every secret we know of (and nothing else: the text may be the user's own), each
    where it stands as a whole token, invisible characters slipped inside it included."""
    return REDACTOR.text(text)


def redact(text: str) -> str:
    """Hide every secret we know of, and anything shaped like one (an error line)."""
    return REDACTOR.trace(text, addresses=False)


class _RedactingFormatter(logging.Formatter):
    """The whole line redacted, a traceback and a third-party record's arguments included."""

    def format(self, record: logging.LogRecord) -> str:
        return REDACTOR.trace(super().format(record))


_above_live: Callable[[str], None] | None = None


def print_above_live(sink: Callable[[str], None] | None) -> None:
    """While a live display owns the terminal, trace lines that would go to that terminal are
    given to ``sink``, which prints them above it (None: straight to stderr again). A trace
    written under a live area would be erased or torn by its next redraw."""
    global _above_live
    _above_live = sink


class _TraceHandler(logging.StreamHandler[TextIO]):
    def __init__(self, stream: TextIO, terminal: bool) -> None:
        super().__init__(stream)
        self.terminal = terminal

    def emit(self, record: logging.LogRecord) -> None:
        sink = _above_live
        if sink is None or not self.terminal:  # a trace file is never rerouted
            super().emit(record)
            return
        try:
            sink(self.format(record))
        except Exception:  # what logging.StreamHandler.emit does with a failure
            self.handleError(record)


def enable(stream: TextIO, *, terminal: bool = False) -> None:
    """Trace to ``stream`` (stderr; ``terminal``: it is one, so a live area may sit on it)."""
    handler = _TraceHandler(stream, terminal)
    handler.setFormatter(_RedactingFormatter("writer-chat debug: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False


def disable() -> None:
    """Stop tracing and forget the secrets (the end of a run: a test runs many in one
    process)."""
    REDACTOR.clear()
    for handler in list(log.handlers):
        if isinstance(handler, _TraceHandler):
            log.removeHandler(handler)
    log.setLevel(logging.NOTSET)


def enabled() -> bool:
    return log.isEnabledFor(logging.DEBUG)


def redacted_traceback() -> str:
    """The current exception's traceback (no locals), secrets hidden."""
    import traceback

    return redact(traceback.format_exc())
