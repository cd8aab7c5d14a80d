"""SIGTERM and SIGHUP end a reply the way Ctrl-C does: what arrived is kept and saved, marked
interrupted, the terminal is given back (cursor shown), and the program exits 128 + signal."""

from __future__ import annotations

import signal

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


def install() -> None:
    """Handle SIGTERM and SIGHUP from here on (call it from the main thread)."""
    for which in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(which, _handle)


def received() -> int | None:
    """The signal that asked the program to end, if one did."""
    return _received


def exit_code() -> int | None:
    return None if _received is None else 128 + _received
