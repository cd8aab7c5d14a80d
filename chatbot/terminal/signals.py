"""SIGTERM and SIGHUP end a reply the way Ctrl-C does: what arrived is kept and saved, marked
interrupted, the terminal is given back (cursor shown), and the program exits 128 + signal."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_received: int | None = None


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM or SIGHUP; the engine treats it as a Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _handle(signum: int, frame: object) -> None:
    global _received
    if _received is None:  # a second signal while closing down changes nothing
        _received = signum
        raise Terminated(signum)


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Handle SIGTERM and SIGHUP for the length of a run (from the main thread), then put
    back what was there: a test runs many runs in one process."""
    global _received
    _received = None
    if threading.current_thread() is not threading.main_thread():
        yield  # a test drives the REPL from a thread: signals are for the process's own runs
        return
    saved = {which: signal.signal(which, _handle) for which in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for which, handler in saved.items():
            signal.signal(which, signal.SIG_DFL if handler is None else handler)


def exit_code() -> int | None:
    return None if _received is None else 128 + _received
