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
import ssl
import threading

_context: ssl.SSLContext | None = None
_ready = threading.Event()
_started = False


def _locations() -> dict[str, str]:
    if os.environ.get("SSL_CERT_FILE"):
        return {"cafile": os.environ["SSL_CERT_FILE"]}
    if os.environ.get("SSL_CERT_DIR"):
        return {"capath": os.environ["SSL_CERT_DIR"]}
    import certifi

    return {"cafile": certifi.where()}


def _build(locations: dict[str, str]) -> None:
    global _context
    try:
        _context = ssl.create_default_context(**locations)
    except (OSError, ValueError):  # httpx builds its own and reports the problem itself
        _context = None
    finally:
        _ready.set()


def prepare() -> None:
    """Start building the context in the background (once per process)."""
    global _started
    if _started:
        return
    thread = threading.Thread(
        target=_build, args=(_locations(),), name="writer-chat-tls", daemon=True
    )
    try:
        thread.start()
    except RuntimeError:  # no thread to be had: httpx builds the context itself, later
        return
    _started = True


def verify() -> ssl.SSLContext | bool:
    """What to pass as httpx's ``verify``: the prepared context, or True for httpx's own."""
    if not _started:
        return True
    _ready.wait()
    return _context if _context is not None else True
