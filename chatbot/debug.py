"""The ``--debug`` trace: requests, responses and stream events on stderr, secrets redacted."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TextIO

LOGGER_NAME = "writer_chat"
log = logging.getLogger(LOGGER_NAME)

# A quote or comma ends the token, so a traced header dict stays readable around the mask.
_BEARER = re.compile(r"""(Bearer\s+)[^\s'",;]+""", re.IGNORECASE)
_KEY_ASSIGNMENT = re.compile(r"(\w*_KEY\s*=\s*)\S+")


_secrets: list[str] = []


def remember_secret(secret: str) -> None:
    """Register a value that must never be shown (the API key)."""
    if secret and secret not in _secrets:
        _secrets.append(secret)


def redact_secrets(text: str) -> str:
    """Hide every secret we know of (and nothing else: the text may be the user's own), each
    where it stands as a whole token: a short test key such as ``k`` or ``test`` must not turn
    "unknown" into "un****nown" or "test-model" into "****-model"."""
    for secret in _secrets:
        if secret in text:
            text = re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", "****", text)
    return text


def redact(text: str) -> str:
    """Hide every secret we know of, and anything shaped like one."""
    text = redact_secrets(text)
    text = _BEARER.sub(r"\1****", text)
    return _KEY_ASSIGNMENT.sub(r"\1****", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


_above_live: Callable[[str], None] | None = None


def print_above_live(sink: Callable[[str], None] | None) -> None:
    """While a live display owns the terminal, trace lines that would go to that terminal are
    given to ``sink``, which prints them above it (None: straight to stderr again). A trace
    written under a live area would be erased or torn by its next redraw."""
    global _above_live
    _above_live = sink


class _TraceHandler(logging.StreamHandler):  # type: ignore[type-arg]
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
    handler.setFormatter(logging.Formatter("writer-chat debug: %(message)s"))
    handler.addFilter(_RedactingFilter())
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False


def disable() -> None:
    """Stop tracing and forget the secrets (the end of a run: a test runs many in one
    process)."""
    _secrets.clear()
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
