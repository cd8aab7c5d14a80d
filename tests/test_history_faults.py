"""A history failure never stops a reply or the REPL (issue: the chat outlives its surroundings).

Real failures: a second SQLite connection holding the lock, a real full or read-only file
system (a tmpfs; skipped where this machine cannot mount one), a real corrupt file, a real
database from a newer version. The user's own files are never replaced or altered.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.engine.chat import Chat, deliver
from chatbot.engine.request import ChatParams
from chatbot.store.database import Store
from chatbot.store.journal import Journal
from tests.conftest import WRITER_CHAT, cli_env
from tests.terminal import Terminal
from tests.test_engine import ScriptedTransport, reply


@contextlib.contextmanager
def mounted_tmpfs(where: Path, *options: str, size: str = "400k") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join([f"size={size}", *options]), "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip() or mount.returncode}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(directory: Path) -> Path:
    """Fill the file system of ``directory`` to the last byte."""
    filler = directory / "filler"
    with contextlib.suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(b"\0" * 4096)
            out.flush()
    return filler


def saved(store: Store, journal: Journal) -> list[str]:
    return [m.content for m in store.messages(journal.conversation_id)]


def test_a_lock_held_past_the_busy_timeout_delays_saving_and_loses_nothing(tmp_path):
    path = tmp_path / "history.db"
    store = Store(path, busy_timeout_ms=100)
    problems: list[str] = []
    journal = Journal(store, on_problem=problems.append)
    chat = Chat(ScriptedTransport(), ChatParams("m"))
    deliver(chat.send("before the lock"), [journal])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the database
    for text in ("while locked 1", "while locked 2"):
        assert deliver(chat.send(text), [journal]).ok
    assert len(problems) == 1 and "locked" in problems[0]
    assert journal.unsaved() == 4
    other.execute("COMMIT")
    other.close()
    deliver(chat.send("after the lock"), [journal])
    assert journal.unsaved() == 0
    assert saved(store, journal) == [
        "before the lock", "echo",
        "while locked 1", "echo",
        "while locked 2", "echo",
        "after the lock", "echo",
    ]  # fmt: skip


def test_a_full_disk_delays_saving_until_space_is_freed(tmp_path):
    with mounted_tmpfs(tmp_path / "small", size="2m") as small:
        store = Store(small / "history.db")
        problems: list[str] = []
        journal = Journal(store, on_problem=problems.append)
        chat = Chat(ScriptedTransport(), ChatParams("m"))
        deliver(chat.send("first"), [journal])
        filler = fill(small)
        for number in range(3):
            assert deliver(chat.send(f"on a full disk {number} " + "x" * 2_000), [journal]).ok
        assert len(problems) == 1 and "full" in problems[0]
        filler.unlink()
        deliver(chat.send("space again"), [journal])
        texts = saved(store, journal)
        assert texts[:2] == ["first", "echo"] and texts[-2:] == ["space again", "echo"]
        assert len(texts) == 10
        store.close()


def test_the_repl_goes_on_when_the_disk_fills_up(fake, home, tmp_path):
    with mounted_tmpfs(tmp_path / "data") as data:
        env = cli_env(home, fake.url, XDG_DATA_HOME=str(data))
        term = Terminal([WRITER_CHAT], env, str(home / "work"))
        try:
            term.wait_for_prompt(1)
            term.say("before")
            filler = fill(data)
            term.say("on a full disk " + "y" * 3_000)
            term.wait_for("You said: on a full disk")
            term.say("still here?")
            term.wait_for("You said: still here?")
            filler.unlink()
            term.type("exit\r")
            assert term.wait_exit() == 0
        finally:
            term.close()
        text = term.text()
        assert text.count("not saved to the history yet") == 1
        assert "unexpected error" not in text and "Traceback" not in text
        store = Store(data / "writer-chat" / "history.db")
        latest = store.latest()
        assert latest is not None
        contents = [m.content for m in store.messages(latest)]
        assert contents[0] == "before" and contents[-1] == "You said: still here?"


def test_a_read_only_data_directory_turns_history_off_for_the_run(run_cli, fake, tmp_path):
    with mounted_tmpfs(tmp_path / "ro", "ro") as read_only:
        result = run_cli("hello", XDG_DATA_HOME=str(read_only))
    assert result.code == 0 and result.text == "You said: hello\n"
    [warning] = result.stderr.splitlines()
    assert warning.startswith("writer-chat: history is off for this run: cannot open")
    assert "Read-only file system" in warning and "--no-save" in warning


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def history_file(home: Path) -> Path:
    path = home / "data" / "writer-chat" / "history.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_a_corrupt_database_is_left_alone_and_the_chat_goes_on(run_cli, fake, home):
    path = history_file(home)
    path.write_bytes(b"these are not the bytes of a database\n" * 100)
    before = fingerprint(path)
    result = run_cli("hello")
    assert result.code == 0 and result.text == "You said: hello\n"
    assert "file is not a database" in result.stderr
    assert "move it aside" in result.stderr and "--no-save" in result.stderr
    listing = run_cli("history")
    assert listing.code == 2 and len(listing.stderr.splitlines()) == 1
    assert "file is not a database" in listing.stderr
    continued = run_cli("-c", "more")
    assert continued.code == 2 and "file is not a database" in continued.stderr
    assert fake.chat_requests()[-1].messages[-1]["content"] == "hello"  # -c sent nothing
    assert fingerprint(path) == before


def test_a_damaged_page_is_one_line_for_history_and_never_stops_a_reply(run_cli, fake, home):
    assert run_cli("a first question " * 50).code == 0
    path = history_file(home)
    store = Store(path)
    store.close()
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 512):  # every page but the first, scrambled
        data[offset : offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    before = fingerprint(path)
    listing = run_cli("history")
    assert listing.code == 2 and len(listing.stderr.splitlines()) == 1
    assert "history database" in listing.stderr and "Traceback" not in listing.stderr
    assert "cannot be read" in listing.stderr and "move it aside" in listing.stderr
    reply = run_cli("still answering?")
    assert reply.code == 0 and reply.text == "You said: still answering?\n"
    assert "Traceback" not in reply.stderr and "unexpected" not in reply.stderr
    term = Terminal([WRITER_CHAT], cli_env(home, fake.url), str(home / "work"))
    try:  # the REPL's /history reads the same pages: one line, and the chat goes on
        term.wait_for_prompt(1)
        term.say("/history")
        joined = lambda: " ".join(term.lines())  # noqa: E731 (the line wraps on screen)
        term.wait_until(lambda: "cannot be read (database disk image" in joined(), "one line")
        term.say("still here?")
        term.wait_for("You said: still here?")
    finally:
        term.close()
    assert fingerprint(path) == before


def test_a_database_from_a_newer_version_is_not_written_to(run_cli, fake, home):
    path = history_file(home)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, body BLOB)")
    db.execute("PRAGMA user_version = 9")
    db.commit()
    db.close()
    before = fingerprint(path)
    result = run_cli("hello")
    assert result.code == 0 and result.text == "You said: hello\n"
    assert "newer writer-chat (schema 9" in result.stderr
    assert fingerprint(path) == before
    listing = run_cli("history")
    assert listing.code == 2 and "newer writer-chat" in listing.stderr


def _locked(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the database
    return other


def test_while_the_history_is_locked_the_pieces_of_a_reply_never_wait_on_it(tmp_path):
    store = Store(tmp_path / "history.db")
    store.wait_for_locks(50)
    tries: list[str] = []
    for name in ("add_message", "update_message", "new_conversation"):
        real = getattr(store, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            tries.append(_name)
            return _real(*args, **kwargs)

        setattr(store, name, counted)
    journal = Journal(store, on_problem=lambda _: None)
    other = _locked(tmp_path / "history.db")
    pieces = [f"piece {n} " for n in range(60)]
    chat = Chat(ScriptedTransport([reply(*pieces)]), ChatParams("m"))
    assert deliver(chat.send("go"), [journal]).ok
    assert len(tries) <= 4  # a try at the message and at the reply's end, not one a piece
    other.execute("COMMIT")
    other.close()


def test_what_a_lock_keeps_from_the_history_waits_in_a_spool_and_joins_it_later(tmp_path):
    from chatbot.store.replay import replay_spools

    path = tmp_path / "history.db"
    store = Store(path)
    store.wait_for_locks(50)
    problems: list[str] = []
    journal = Journal(store, on_problem=problems.append)
    chat = Chat(ScriptedTransport(), ChatParams("m"))
    deliver(chat.send("saved at once"), [journal])
    other = _locked(path)
    deliver(chat.send("while locked"), [journal])
    journal.close(wait_ms=50)
    [spooled] = list(tmp_path.glob("unsaved-*.json"))
    assert oct(spooled.stat().st_mode & 0o777) == "0o600"
    assert str(spooled) in problems[-1] and "join the history at the next start" in problems[-1]
    other.execute("COMMIT")
    other.close()
    assert replay_spools(Store(path), tmp_path) == 2
    assert saved(store, journal) == ["saved at once", "echo", "while locked", "echo"]
    assert list(tmp_path.glob("unsaved-*.json")) == []


def test_a_one_shot_on_a_locked_history_answers_at_once_and_loses_nothing(
    run_cli, fake, home, monkeypatch
):
    from chatbot.store import journal as journal_module

    monkeypatch.setattr(journal_module, "CLOSING_WAIT_MS", 100)
    assert run_cli("first").code == 0
    [path] = (home / "data").rglob("history.db")
    other = _locked(path)
    result = run_cli("-c", "second")
    assert result.code == 0 and result.text == "You said: second\n"
    assert "join the history at the next start" in result.stderr
    other.execute("COMMIT")
    other.close()
    later = run_cli("third")
    assert "2 messages an earlier run could not save are now in the history" in later.stderr
    cid = run_cli("history").text.splitlines()[-1].split()[0]  # the first conversation
    shown = run_cli("history", "show", cid).text
    assert shown.index("first") < shown.index("second") and "You said: second" in shown


def test_kill_9_mid_reply_on_a_locked_history_loses_nothing(run_cli, fake, home):
    """The spool is kept up to date while saving fails, not written only at a clean exit."""
    import json
    import signal
    import time

    from tests.fake_server import Script

    assert run_cli("first").code == 0
    [path] = (home / "data").rglob("history.db")
    other = _locked(path)
    fake.queue(Script(pieces=[f"word{i} " for i in range(300)], delay=0.02))
    process = subprocess.Popen(
        [WRITER_CHAT, "a long one"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(home, fake.url),
        cwd=home / "work",
    )
    try:
        spools = path.parent.glob("unsaved-*.json")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            kept = [json.loads(p.read_text() or "{}") for p in path.parent.glob("unsaved-*.json")]
            texts = [m["content"] for k in kept for c in k.get("conversations", [])
                     for m in c["messages"]]  # fmt: skip
            if "a long one" in texts and any(t.startswith("word0 word1") for t in texts):
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
    finally:
        other.execute("COMMIT")
        other.close()
    assert list(spools), "no spool was kept while the history was locked"
    later = run_cli("another question")  # a chat's start writes what an earlier run kept
    assert "could not save are now in the history" in later.stderr
    cid = run_cli("history").text.splitlines()[1].split()[0]  # the killed run's conversation
    every = run_cli("history", "show", cid, "--all").text
    assert "a long one" in every and "(incomplete)" in every
    assert every.count("word0 word1") == 1  # folded in exactly once
    assert run_cli("third question").code == 0  # the next start folds in nothing again
    assert run_cli("history", "show", cid, "--all").text == every


KILL_ROUNDS = int(os.environ.get("WRITER_CHAT_KILL_ROUNDS", "2"))  # 20 for the long check


@pytest.mark.parametrize("locked", [False, True], ids=["free", "locked"])
def test_kill_9_at_a_random_moment_loses_at_most_the_last_second(run_cli, fake, home, locked):
    """What was on screen up to a second before the kill is in the history after the next
    start, exactly once (WRITER_CHAT_KILL_ROUNDS=20 runs twenty kills instead of two)."""
    import random
    import signal
    import time

    from tests.fake_server import Script

    assert run_cli("first").code == 0
    [path] = (home / "data").rglob("history.db")
    rng = random.Random(7 + locked)
    shown: list[tuple[float, str]] = []  # (seconds streamed before the kill, text on screen)
    for round_ in range(KILL_ROUNDS):
        other = _locked(path) if locked else None
        fake.queue(Script(pieces=[f"r{round_}w{i:03d} " for i in range(400)], delay=0.005))
        process = subprocess.Popen(
            [WRITER_CHAT, f"round {round_}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=cli_env(home, fake.url),
            cwd=home / "work",
        )
        assert process.stdout is not None
        first = os.read(process.stdout.fileno(), 1)  # the reply has begun (unbuffered)
        time.sleep(rng.uniform(0.05, 1.5))
        process.send_signal(signal.SIGKILL)
        rest, _ = process.communicate(timeout=10)
        shown.append((first + rest).decode())
        if other is not None:
            other.execute("COMMIT")
            other.close()
    assert run_cli("last").code == 0  # a start folds in what a killed run kept
    for round_, text in enumerate(shown):
        cid = run_cli("history", "search", f"round {round_}").text.split()[0]
        replies = [
            line for line in run_cli("history", "show", cid, "--all").text.split("\n\n")
            if line.startswith(f"r{round_}w")
        ]  # fmt: skip
        assert len(replies) <= 1  # never twice
        saved = replies[0] if replies else ""
        assert text.startswith(saved.strip()), (saved, text)
        # at most the last second is lost: 1 s of this stream is about 200 pieces of 8 bytes
        assert len(text) - len(saved.strip()) <= 200 * 8 * 1.5, (len(saved), len(text))
