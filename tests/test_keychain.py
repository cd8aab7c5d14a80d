"""The API key in the system keychain: `key set`, `key show`, `key rm`, and its place in the
order the key is looked for (environment, .env, keychain, api_key_command).

The program runs in-process with the backend PYTHON_KEYRING_BACKEND names in its Env: a
keychain kept in a file (tests/keyring_backend.py, so runs share it), keyring's own fail and
null backends (no keychain on this machine), or a locked one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import TEST_KEY
from tests.terminal import Terminal
from tests.test_settings import config_with

ROOT = Path(__file__).resolve().parents[1]
FILE_BACKEND = "tests.keyring_backend.FileKeyring"


@pytest.fixture
def keychain(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a machine whose keychain is the file backend, and no key elsewhere
    (the test backend finds its file through this process's environment too)."""
    monkeypatch.setenv("WRITER_CHAT_TEST_KEYRING", str(home / "keychain.json"))
    return {
        "PYTHON_KEYRING_BACKEND": FILE_BACKEND,
        "WRITER_CHAT_TEST_KEYRING": str(home / "keychain.json"),
        "PYTHONPATH": str(ROOT),
        "WRITER_API_KEY": None,  # type: ignore[dict-item]
    }


def test_a_key_set_in_the_keychain_is_used_shown_masked_and_removed(run_cli, fake, home, keychain):
    stored = run_cli("key", "set", stdin=f"{TEST_KEY}\n".encode(), **keychain)
    assert stored.code == 0, stored.stderr
    assert "in the system keychain (" in stored.text and TEST_KEY not in stored.text + stored.stderr
    assert TEST_KEY in (home / "keychain.json").read_text()  # kept by the backend, nowhere else

    chat = run_cli("hi", **keychain)
    assert chat.code == 0 and chat.text == "You said: hi\n"
    assert fake.chat_requests()[-1].headers["authorization"] == f"Bearer {TEST_KEY}"

    shown = run_cli("key", "show", **keychain)
    assert shown.code == 0
    assert shown.text.startswith("in use: ****  from the system keychain (")
    assert "****" in run_cli("config", "show", **keychain).text.splitlines()[0]
    assert TEST_KEY not in shown.text + run_cli("config", "show", **keychain).text

    removed = run_cli("key", "rm", **keychain)
    assert removed.code == 0 and "removed the API key from the system keychain" in removed.text
    again = run_cli("key", "rm", **keychain)
    assert again.code == 2 and again.stderr == (
        "writer-chat: error: there is no API key in the system keychain to remove\n"
    )
    gone = run_cli("hi", **keychain)
    assert gone.code == 2 and "writer-chat key set" in gone.stderr
    assert len(fake.chat_requests()) == 1


def test_the_environment_and_dotenv_come_before_the_keychain(run_cli, fake, home, keychain):
    assert run_cli("key", "set", stdin=b"keychain-key-1234\n", **keychain).code == 0
    environment = run_cli("hi", **{**keychain, "WRITER_API_KEY": TEST_KEY})
    assert environment.code == 0
    assert fake.chat_requests()[-1].headers["authorization"] == f"Bearer {TEST_KEY}"
    shown = run_cli("key", "show", **{**keychain, "WRITER_API_KEY": TEST_KEY}).text.splitlines()
    assert shown == [
        "in use: ****  from WRITER_API_KEY in the environment",
        "also:   ****1234  in the system keychain (keyring backend FileKeyring) (not used)",
    ]

    (home / "work" / ".env").write_text(f"WRITER_API_KEY={TEST_KEY}\n")
    (home / "work" / ".env").chmod(0o600)
    assert run_cli("hi", **keychain).code == 0
    assert fake.chat_requests()[-1].headers["authorization"] == f"Bearer {TEST_KEY}"


def test_the_keychain_comes_before_api_key_command(run_cli, fake, home, keychain):
    # The command would fail if it ran; the keychain's key is found first, so it never does.
    env = {**keychain, **config_with(home, "api_key_command = \"sh -c 'exit 7'\"\n")}
    assert run_cli("key", "set", stdin=f"{TEST_KEY}\n".encode(), **env).code == 0
    chat = run_cli("hi", **env)
    assert chat.code == 0 and chat.stderr == ""
    shown = run_cli("key", "show", **env).text.splitlines()
    assert shown[0].startswith("in use: ****  from the system keychain")
    assert shown[1].startswith("also:   (not run)  in api_key_command in config file")


@pytest.mark.parametrize(
    "backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"]
)
def test_no_keychain_on_the_machine_is_one_line(run_cli, fake, keychain, backend):
    env = {**keychain, "PYTHON_KEYRING_BACKEND": backend}
    for args in (("key", "set"), ("key", "rm")):
        result = run_cli(*args, stdin=b"some-key-123456\n", **env)
        assert result.code == 2 and len(result.stderr.splitlines()) == 1
        assert "the system keychain is not available here" in result.stderr
        assert "Traceback" not in result.stderr
    chat = run_cli("hi", **env)
    assert chat.code == 2 and chat.stderr.startswith("writer-chat: error: no API key:")
    assert "writer-chat key set" not in chat.stderr  # not where there is no keychain
    assert "have api_key_command in the config print it (no system keychain here)" in chat.stderr
    shown = run_cli("key", "show", **env)
    assert shown.code == 2
    assert "or in the system keychain (not available here)" in shown.stderr
    assert fake.chat_requests() == []


def test_a_locked_keychain_is_one_line_and_nothing_is_sent(run_cli, fake, keychain):
    env = {**keychain, "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.LockedKeyring"}
    chat = run_cli("hi", **env)
    assert chat.code == 2 and chat.stderr == (
        "writer-chat: error: cannot read the system keychain (keyring backend LockedKeyring):"
        " the collection is locked\n"
    )
    assert fake.chat_requests() == []
    assert run_cli("hi", **{**env, "WRITER_API_KEY": TEST_KEY}).code == 0  # never asked


@pytest.mark.parametrize(
    ("typed", "said"),
    [(b"", "no key given"), (b"two words\n", "characters no API key has")],
)
def test_key_set_refuses_what_is_not_a_key(run_cli, keychain, home, typed, said):
    result = run_cli("key", "set", stdin=typed, **keychain)
    assert result.code == 2 and said in result.stderr
    assert not (home / "keychain.json").exists()


def test_key_set_at_a_terminal_does_not_echo_the_key(home, keychain):
    env = cli_env(home, None, **{k: v for k, v in keychain.items() if v is not None})
    env.pop("WRITER_API_KEY")
    term = Terminal([WRITER_CHAT, "key", "set"], env, str(home / "work"), pty=True)
    try:
        term.wait_for("WRITER_API_KEY (not shown):")
        term.type("typed-secret-5678\r")
        assert term.wait_exit() == 0
    finally:
        term.close()
    assert "kept the API key ****5678" in term.text()
    assert "typed-secret" not in term.text()
    assert "typed-secret-5678" in (home / "keychain.json").read_text()


def test_a_chat_with_a_key_in_the_environment_never_loads_keyring(home):
    code = "import sys; sys.argv = ['writer-chat', 'hi']; from chatbot.cli.main import main; main()"
    env = cli_env(home, None)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env={**env, "WRITER_BASE_URL": "http://127.0.0.1:9"},
        cwd=home / "work",
        capture_output=True,
        text=True,
        timeout=30,
    )
    loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "httpx" in loaded  # the trace saw the run get as far as the network
    assert not {name for name in loaded if name.split(".")[0] == "keyring"}
