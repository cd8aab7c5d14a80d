"""The API key in the operating system's keychain, through keyring (macOS Keychain, Windows
Credential Locker, Secret Service on Linux).

The backend is the one keyring would choose for the Env's environment (PYTHON_KEYRING_BACKEND
there), loaded anew each time: nothing of the process is read around the Env. keyring and its
backends are imported only when asked: a run whose key came from the
environment or ``.env`` never loads them. A machine with no usable backend is said in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatbot.errors import UsageError
from chatbot.sanitize import one_line

SERVICE = "writer-chat"
ACCOUNT = "WRITER_API_KEY"
PLACE = "the system keychain"
BACKEND_VARIABLE = "PYTHON_KEYRING_BACKEND"  # keyring's own choice of backend, read from the Env


class NoKeychain(UsageError):
    """keyring found no backend that can keep a secret on this machine."""


def _keyring(environ: Mapping[str, str]) -> Any:
    """The backend keyring would choose for this environment: the one PYTHON_KEYRING_BACKEND
    names in it, else keyring's own choice; NoKeychain when that backend cannot store."""
    import keyring
    import keyring.core
    from keyring.backends import fail, null

    named = environ.get(BACKEND_VARIABLE, "").strip()
    try:
        backend = keyring.core.load_keyring(named) if named else keyring.get_keyring()
    except Exception as problem:  # PYTHON_KEYRING_BACKEND naming what cannot be loaded
        raise UsageError(  # not NoKeychain: a setting to mend, not a machine without one
            f"{PLACE} cannot be used: its backend does not load ({one_line(str(problem), 120)});"
            " check PYTHON_KEYRING_BACKEND, or use WRITER_API_KEY or api_key_command"
        ) from None
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        raise NoKeychain(
            f"{PLACE} is not available here (keyring found no backend: no Secret Service,"
            " Keychain or Credential Locker); use WRITER_API_KEY or api_key_command instead"
        )
    return backend


def available(environ: Mapping[str, str]) -> bool:
    """Whether this machine has a keychain writer-chat can keep the key in."""
    try:
        _keyring(environ)
    except UsageError:  # none here, or a backend that does not load
        return False
    return True


def describe(environ: Mapping[str, str]) -> str:
    """ "the system keychain (its backend)", or that there is none here."""
    try:
        backend = _keyring(environ)
    except NoKeychain:
        return f"{PLACE} (not available here)"
    return f"{PLACE} ({backend_name(backend)})"


def backend_name(backend: Any) -> str:
    return one_line(str(getattr(backend, "name", type(backend).__name__)), 60)


def _failed(action: str, backend: Any, problem: Exception) -> UsageError:
    reason = one_line(str(problem), 160) or type(problem).__name__
    return UsageError(f"cannot {action} {PLACE} ({backend_name(backend)}): {reason}")


def read_key(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The key kept in the keychain and the backend's name; None when there is no keychain
    here or no key in it."""
    try:
        backend = _keyring(environ)
    except NoKeychain:
        return None
    try:
        key = backend.get_password(SERVICE, ACCOUNT)
    except Exception as problem:  # keyring.errors.KeyringError, a locked store, D-Bus errors
        raise _failed("read", backend, problem) from None
    return (key.strip(), backend_name(backend)) if key and key.strip() else None


def store_key(key: str, environ: Mapping[str, str]) -> str:
    """Keep ``key`` in the keychain; returns the backend's name."""
    backend = _keyring(environ)
    try:
        backend.set_password(SERVICE, ACCOUNT, key)
    except Exception as problem:
        raise _failed("write to", backend, problem) from None
    return backend_name(backend)


def delete_key(environ: Mapping[str, str]) -> str | None:
    """Remove the key from the keychain; returns the backend's name, or None if none was kept."""
    backend = _keyring(environ)
    from keyring.errors import PasswordDeleteError

    try:
        if backend.get_password(SERVICE, ACCOUNT) is None:
            return None
        backend.delete_password(SERVICE, ACCOUNT)
    except PasswordDeleteError:
        return None
    except Exception as problem:
        raise _failed("remove the key from", backend, problem) from None
    return backend_name(backend)
