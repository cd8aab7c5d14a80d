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

_outcome: ssl.SSLContext | Exception | None = None
_ready = threading.Event()
_started = False
_source = ""


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


def _build(locations: dict[str, str]) -> None:
    global _outcome
    try:
        _outcome = ssl.create_default_context(**locations)
    except (OSError, ValueError) as problem:  # ssl.SSLError is an OSError
        _outcome = problem
    finally:
        _ready.set()


def prepare(*, background: bool = True) -> None:
    """Start building the context (once per process), on a thread unless told otherwise."""
    global _started, _source
    if _started:
        return
    _source, locations = _locations()
    _started = True
    if background:
        try:
            thread = threading.Thread(
                target=_build, args=(locations,), name="writer-chat-tls", daemon=True
            )
            thread.start()
            return
        except RuntimeError:  # no thread to be had: build it here
            pass
    _build(locations)


def verify() -> ssl.SSLContext:
    """The context to give httpx as ``verify``, waiting for it if it is still being built."""
    prepare(background=False)
    _ready.wait()
    if isinstance(_outcome, ssl.SSLContext):
        return _outcome
    raise UsageError(f"cannot load the CA certificates in {_source}: {_reason(_outcome)}")


def _reason(problem: object) -> str:
    """ "No such file or directory", or OpenSSL's words without its codes and source line."""
    text = getattr(problem, "strerror", None) or str(problem)
    return re.sub(r"^\[[^\]]*\]\s*|\s*\(_ssl\.c:\d+\)$", "", text)
