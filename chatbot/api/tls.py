"""The TLS context, built on a thread from the first moment of a run.

Loading the CA certificates is 10-15 ms of OpenSSL work that releases the GIL, so on a second
core it runs beside the imports on the main thread instead of after them. The context is the
one httpx would build itself (``httpx.create_ssl_context()`` with ``trust_env``): the file in
``SSL_CERT_FILE``, else the directory in ``SSL_CERT_DIR``, else certifi's bundle.

Everything that imports runs on the main thread: the thread only calls into OpenSSL, because
two threads importing at once can break (certifi's importlib.resources lookup raised
``NameError`` inside importlib when it raced the main thread's imports).
"""

from __future__ import annotations

import os
import re
import ssl
import threading

from chatbot.errors import UsageError


class _Build:
    """One context being built: where its certificates come from, and, once ``done``, the
    context or the error that stopped it."""

    def __init__(self) -> None:
        self.source, self._locations = _locations()
        self.done = threading.Event()
        self.outcome: ssl.SSLContext | Exception | None = None

    def run(self) -> None:
        try:
            self.outcome = ssl.create_default_context(**self._locations)
        except (OSError, ValueError) as problem:  # ssl.SSLError is an OSError
            self.outcome = problem
        finally:
            self.done.set()


_build: _Build | None = None


def _locations() -> tuple[str, dict[str, str]]:
    """Where the certificates come from, said for a person, and as create_default_context's
    arguments."""
    if os.environ.get("SSL_CERT_FILE"):
        path = os.environ["SSL_CERT_FILE"]
        return f"SSL_CERT_FILE ({path})", {"cafile": path}
    if os.environ.get("SSL_CERT_DIR"):
        path = os.environ["SSL_CERT_DIR"]
        return f"SSL_CERT_DIR ({path})", {"capath": path}
    import certifi

    return "certifi's bundle", {"cafile": certifi.where()}


def prepare(*, background: bool = True) -> None:
    """Start building the context (once per process), on a thread unless told otherwise."""
    global _build
    if _build is not None:
        return
    _build = _Build()
    if background:
        try:
            threading.Thread(target=_build.run, name="writer-chat-tls", daemon=True).start()
            return
        except RuntimeError:  # no thread to be had: build it here
            pass
    _build.run()


def verify() -> ssl.SSLContext:
    """The context to give httpx as ``verify``, waiting for it if it is still being built."""
    prepare(background=False)
    assert _build is not None
    _build.done.wait()
    if isinstance(_build.outcome, ssl.SSLContext):
        return _build.outcome
    raise UsageError(
        f"cannot load the CA certificates in {_build.source}: {_reason(_build.outcome)}"
    )


def _reason(problem: object) -> str:
    """ "No such file or directory", or OpenSSL's words without its codes and source line."""
    text = getattr(problem, "strerror", None) or str(problem)
    return re.sub(r"^\[[^\]]*\]\s*|\s*\(_ssl\.c:\d+\)$", "", text)
