"""keyring backends for the tests, chosen with PYTHON_KEYRING_BACKEND in the program's
environment: a keychain kept in a JSON file (so `key set`, a chat and `key rm`, each its own
process, share it), and one that is locked."""

from __future__ import annotations

import json
import os
from pathlib import Path

from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError


def _chosen_only() -> float:
    """A test backend's priority: viable only while a keychain test has set its file, so that
    keyring's own search (a run whose Env names no backend) never picks one up just because
    an earlier test in this process imported it."""
    if not os.environ.get("WRITER_CHAT_TEST_KEYRING"):
        raise RuntimeError("a test keychain, set up by tests/test_keychain.py only")
    return 1


class FileKeyring(KeyringBackend):
    """A keychain in the file named by WRITER_CHAT_TEST_KEYRING."""

    @properties.classproperty
    def priority(cls) -> float:  # type: ignore[override]
        return _chosen_only()

    @property
    def _path(self) -> Path:
        return Path(os.environ["WRITER_CHAT_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        kept = self._load()
        kept[f"{service}/{username}"] = password
        self._path.write_text(json.dumps(kept))

    def delete_password(self, service: str, username: str) -> None:
        kept = self._load()
        if kept.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("no such password")
        self._path.write_text(json.dumps(kept))


class LockedKeyring(KeyringBackend):
    """A keychain that stays locked, as a Secret Service collection the user did not unlock."""

    @properties.classproperty
    def priority(cls) -> float:  # type: ignore[override]
        return _chosen_only()

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")
