"""The TLS context, built on a thread from the first moment of a run.

Loading the CA certificates is 10-15 ms of OpenSSL work that releases the GIL, so on a second
core it runs beside the imports on the main thread instead of after them. The certificates:
the file in ``SSL_CERT_FILE``, else the directory in ``SSL_CERT_DIR`` (as httpx reads them),
else the operating system's: on macOS and Windows through truststore (the OS verifies each
certificate), elsewhere OpenSSL's default file and directory, or the distribution's bundle,
which is what truststore itself loads there; certifi's bundle only when the system has none.

truststore is not used on Linux because it loads those same files again at every connection,
on the main thread: 17 ms each here, and 10 ms to import it.

Everything that imports runs on the main thread: the thread only calls into OpenSSL, because
two threads importing at once can break (certifi's importlib.resources lookup raised
``NameError`` inside importlib when it raced the main thread's imports).
"""

from __future__ import annotations

import atexit
import os
import re
import ssl
import sys
import threading
from collections.abc import Mapping
from typing import Any

from chatbot.errors import UsageError


class _Build:
    """One context being built: where its certificates come from, and, once ``done``, the
    context or the error that stopped it."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.named = _named_certificates(environ)
        self.source, self._locations = _locations(environ)
        self.done = threading.Event()
        self.outcome: ssl.SSLContext | Exception | None = None

    def run(self) -> None:
        try:
            if "truststore" in self._locations:
                self.outcome = self._locations["truststore"].SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            else:
                self.outcome = ssl.create_default_context(**self._locations)
        except (OSError, ValueError) as problem:  # ssl.SSLError is an OSError
            self.outcome = problem
        finally:
            self.done.set()


_build: _Build | None = None
EXIT_WAIT_SECONDS = 5.0  # a context takes ~40 ms; a stuck certificate folder is not waited out


# Where distributions keep their bundle, when OpenSSL was built to look elsewhere (the list
# truststore searches on Linux).
DISTRIBUTION_BUNDLES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)
_HASHED_NAME = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]$")


def _named_certificates(environ: Mapping[str, str]) -> tuple[str, str]:
    """SSL_CERT_FILE and SSL_CERT_DIR in the run's environment: all of the source that can
    change from one run to the next in one process."""
    return environ.get("SSL_CERT_FILE") or "", environ.get("SSL_CERT_DIR") or ""


def _locations(environ: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """Where the certificates come from, said for a person, and as create_default_context's
    arguments (or the truststore module)."""
    cert_file, cert_dir = _named_certificates(environ)
    if cert_file:
        return f"SSL_CERT_FILE ({cert_file})", {"cafile": cert_file}
    if cert_dir:
        return f"SSL_CERT_DIR ({cert_dir})", {"capath": cert_dir}
    if sys.platform in ("darwin", "win32"):
        import truststore  # imported here, on the main thread: the thread only calls OpenSSL

        return "the system's trust store", {"truststore": truststore}
    if system := system_certificates():
        return f"the system's certificates ({', '.join(system.values())})", system
    import certifi

    return "certifi's bundle", {"cafile": certifi.where()}


def system_certificates() -> dict[str, str]:
    """OpenSSL's default CA file and directory where they hold certificates, else the first
    distribution bundle found; empty when the machine has none."""
    defaults = ssl.get_default_verify_paths()
    found = {}
    if defaults.cafile:  # set only when the file exists
        found["cafile"] = defaults.cafile
    if defaults.capath and _holds_certificates(defaults.capath):
        found["capath"] = defaults.capath
    if not found:
        bundle = next((path for path in DISTRIBUTION_BUNDLES if os.path.isfile(path)), None)
        if bundle:
            found["cafile"] = bundle
    return found


def _holds_certificates(directory: str) -> bool:
    try:
        return any(_HASHED_NAME.match(name) for name in os.listdir(directory))
    except OSError:
        return False


def source(environ: Mapping[str, str]) -> str:
    """Where the CA certificates come from, said for a person (config show)."""
    return _locations(environ)[0]


def prepare(environ: Mapping[str, str], *, background: bool = True) -> None:
    """Start building the context for the run's environment (once per process, again only
    when it names other certificates), on a thread unless told otherwise."""
    global _build
    named = _named_certificates(environ)
    if _build is not None and (not _build.done.is_set() or _build.named == named):
        return
    _build = _Build(environ)
    if background:
        try:
            threading.Thread(target=_build.run, name="writer-chat-tls", daemon=True).start()
            # A process that ends while OpenSSL is still loading certificates on the thread can
            # crash in the interpreter's shutdown (SIGSEGV after a usage error): let it finish.
            atexit.register(_build.done.wait, EXIT_WAIT_SECONDS)
            return
        except RuntimeError:  # no thread to be had: build it here
            pass
    _build.run()


def verify(environ: Mapping[str, str]) -> ssl.SSLContext:
    """The context to give httpx as ``verify``, waiting for it if it is still being built."""
    prepare(environ, background=False)
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
