"""The API key in the operating system's keychain, through keyring (macOS Keychain, Windows
Credential Locker, Secret Service on Linux).

keyring and its backends are imported only when asked: a run whose key came from the
environment or ``.env`` never loads them. A machine with no usable backend is said in one line.
"""

from __future__ import annotations

from typing import Any

from chatbot.errors import UsageError
from chatbot.sanitize import one_line

SERVICE = "writer-chat"
ACCOUNT = "WRITER_API_KEY"
PLACE = "the system keychain"


class NoKeychain(UsageError):
    """keyring found no backend that can keep a secret on this machine."""


def _keyring() -> tuple[Any, Any]:
    """The keyring module and its chosen backend; NoKeychain when that backend cannot store."""
    import keyring
    from keyring.backends import fail, null

    try:
        backend = keyring.get_keyring()
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
    return keyring, backend


def available() -> bool:
    """Whether this machine has a keychain writer-chat can keep the key in."""
    try:
        _keyring()
    except UsageError:  # none here, or a backend that does not load
        return False
    return True


def describe() -> str:
    """ "the system keychain (its backend)", or that there is none here."""
    try:
        _, backend = _keyring()
    except NoKeychain:
        return f"{PLACE} (not available here)"
    return f"{PLACE} ({backend_name(backend)})"


def backend_name(backend: Any) -> str:
    return one_line(str(getattr(backend, "name", type(backend).__name__)), 60)


def _failed(action: str, backend: Any, problem: Exception) -> UsageError:
    reason = one_line(str(problem), 160) or type(problem).__name__
    return UsageError(f"cannot {action} {PLACE} ({backend_name(backend)}): {reason}")


def read_key() -> tuple[str, str] | None:
    """The key kept in the keychain and the backend's name; None when there is no keychain
    here or no key in it."""
    try:
        keyring, backend = _keyring()
    except NoKeychain:
        return None
    try:
        key = keyring.get_password(SERVICE, ACCOUNT)
    except Exception as problem:  # keyring.errors.KeyringError, a locked store, D-Bus errors
        raise _failed("read", backend, problem) from None
    return (key.strip(), backend_name(backend)) if key and key.strip() else None


def store_key(key: str) -> str:
    """Keep ``key`` in the keychain; returns the backend's name."""
    keyring, backend = _keyring()
    try:
        keyring.set_password(SERVICE, ACCOUNT, key)
    except Exception as problem:
        raise _failed("write to", backend, problem) from None
    return backend_name(backend)


def delete_key() -> str | None:
    """Remove the key from the keychain; returns the backend's name, or None if none was kept."""
    keyring, backend = _keyring()
    from keyring.errors import PasswordDeleteError

    try:
        if keyring.get_password(SERVICE, ACCOUNT) is None:
            return None
        keyring.delete_password(SERVICE, ACCOUNT)
    except PasswordDeleteError:
        return None
    except Exception as problem:
        raise _failed("remove the key from", backend, problem) from None
    return backend_name(backend)
