"""The history database on a real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import pytest

from chatbot.errors import UsageError
from chatbot.store.database import MIGRATIONS, SCHEMA_VERSION, Store
from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import Script


def test_round_trip(tmp_path: Path):
    store = Store(tmp_path / "h.db")
    cid = store.new_conversation("palmyra-x5", "be brief")
    store.add_message(cid, "user", "What is a monad?", "complete")
    reply = store.add_message(cid, "assistant", "A monoid", "incomplete", "palmyra-x5")
    store.update_message(
        reply,
        "A monoid in the category of endofunctors",
        "complete",
        usage={"total_tokens": 42},
        first_token_ms=120,
        duration_ms=900,
    )
    store.close()

    store = Store(tmp_path / "h.db")
    (info,) = store.conversations()
    assert (info.id, info.model, info.system, info.title, info.turns) == (
        cid,
        "palmyra-x5",
        "be brief",
        "What is a monad?",
        1,
    )
    user, assistant = store.messages(cid)
    assert (user.role, user.content) == ("user", "What is a monad?")
    assert assistant.content == "A monoid in the category of endofunctors"
    assert (assistant.status, assistant.usage) == ("complete", {"total_tokens": 42})
    assert store.resolve(cid[:5]) == cid
    assert store.latest() == cid
    assert [i.id for i, _ in store.search("endofunctors")] == [cid]


def test_prefixes_must_be_unique_and_valid(tmp_path: Path):
    store = Store(tmp_path / "h.db")
    ids = [store.new_conversation("m", None) for _ in range(20)]
    for cid in ids:
        store.add_message(cid, "user", "x", "complete")
    with pytest.raises(UsageError, match="more than one"):
        store.resolve(_common_prefix(ids))
    with pytest.raises(UsageError, match="no conversation with id or title 'nothex!'"):
        store.resolve("nothex!")
    with pytest.raises(UsageError, match="no conversation"):
        store.resolve(next(c for c in ("0" * 32, "1" * 32) if c not in ids))


def test_a_conversation_is_found_by_latest_or_by_its_title(tmp_path: Path):
    store = Store(tmp_path / "h.db")
    with pytest.raises(UsageError, match="no saved conversations yet"):
        store.resolve("latest")
    trip, tax, taxes = (store.new_conversation("m", None) for _ in range(3))
    for cid, first in ((trip, "Trip plans"), (tax, "Tax 2026"), (taxes, "Taxes old")):
        store.add_message(cid, "user", first, "complete")
    store.rename(tax, "Tax 2026")
    assert store.resolve("latest") == store.resolve("LAST") == taxes
    assert store.resolve("trip plans") == store.resolve("Trip") == trip  # whole title, or its start
    assert store.resolve("tax 2026") == tax  # a whole title wins over a longer one it starts
    with pytest.raises(UsageError, match="more than one conversation's title starts with 'Tax'"):
        store.resolve("Tax")
    with pytest.raises(UsageError, match="no conversation with id or title 'holiday'"):
        store.resolve("holiday")
    assert store.resolve(trip[:6]) == trip  # ids as before


def test_latest_and_a_title_work_for_history_show_and_cid(run_cli, fake):
    assert run_cli("first question").code == 0
    assert run_cli("second question").code == 0
    shown = run_cli("history", "show", "latest")
    assert shown.code == 0 and "second question" in shown.text
    assert run_cli("history", "rename", "latest", "Holiday ideas").code == 0
    assert run_cli("--cid", "holiday ideas", "and more").code == 0
    assert [len(r.messages) for r in fake.chat_requests()] == [1, 1, 3]
    missing = run_cli("history", "show", "nothing like it")
    assert (
        missing.code == 2 and "no conversation with id or title 'nothing like it'" in missing.stderr
    )


def _common_prefix(ids: list[str]) -> str:
    for first in "0123456789abcdef":
        if sum(i.startswith(first) for i in ids) > 1:
            return first
    raise AssertionError("20 random ids share no first digit")


def test_migrates_a_version_1_file(tmp_path: Path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO conversations VALUES ('abc123', 1, 2, 'palmyra-x4', NULL, 'old')")
    db.execute(
        "INSERT INTO messages (conversation_id, role, content, status, created_at)"
        " VALUES ('abc123', 'user', 'kept across the upgrade', 'complete', 1)"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()

    store = Store(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    (message,) = store.messages("abc123")
    assert message.content == "kept across the upgrade" and message.model is None
    assert [i.id for i, _ in store.search("upgrade")] == ["abc123"]  # old rows are searchable


def test_database_and_directory_are_private(run_cli, fake, home):
    os.umask(0o022)
    assert run_cli("hello").code == 0
    data = home / "data" / "writer-chat"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in ("history.db", "history.db-wal", "history.db-shm"):
        path = data / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def _spawn(home: Path, url: str, prompt: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [WRITER_CHAT, prompt],
        env=cli_env(home, url),
        cwd=home / "work",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_processes_writing_at_once_both_succeed(fake, home):
    pieces = [f"w{i} " for i in range(40)]
    fake.queue(Script(pieces=pieces, delay=0.05), Script(pieces=pieces, delay=0.05))
    first, second = _spawn(home, fake.url, "one"), _spawn(home, fake.url, "two")
    assert first.wait(30) == 0 and second.wait(30) == 0, second.stderr.read()
    store = Store(home / "data" / "writer-chat" / "history.db")
    conversations = store.conversations()
    assert sorted(c.title for c in conversations) == ["one", "two"]
    for info in conversations:
        _user, reply = store.messages(info.id)
        assert reply.content == "".join(pieces) and reply.status == "complete"


def test_kill_9_mid_reply_keeps_the_turn_and_the_partial_reply(fake, home):
    fake.queue(Script(pieces=[f"w{i} " for i in range(400)], delay=0.01))
    process = _spawn(home, fake.url, "a long one")
    db = home / "data" / "writer-chat" / "history.db"
    deadline = time.monotonic() + 15
    store = None
    while time.monotonic() < deadline:
        if db.exists():
            store = store or Store(db)
            rows = [m for c in store.conversations() for m in store.messages(c.id)]
            if len(rows) == 2 and len(rows[1].content) > 100:  # a progress write has landed
                break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    store = Store(db)
    (info,) = store.conversations()
    user, reply = store.messages(info.id)
    assert (user.content, user.status) == ("a long one", "complete")
    assert reply.status == "incomplete"  # never marked complete: the process died
    assert reply.content.startswith("w0 w1 w2") and "w399" not in reply.content


def test_a_version_3_history_is_upgraded_in_one_step_with_one_line_and_every_row(tmp_path):
    from chatbot.store.database import _statements

    path = tmp_path / "v3.db"
    db = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:3]:  # the schema the previous release wrote
        for statement in _statements(migration):
            db.execute(statement)
    db.execute("PRAGMA user_version = 3")
    db.execute("BEGIN")
    for number in range(300):
        cid = f"{number:032x}"
        db.execute(
            "INSERT INTO conversations VALUES (?, ?, ?, 'palmyra-x5', NULL, ?)",
            (cid, number, number + 0.5, f"title {number}"),
        )
        db.executemany(
            "INSERT INTO messages (conversation_id, role, content, status, created_at)"
            " VALUES (?, ?, ?, 'complete', ?)",
            [
                (cid, "user" if i % 2 == 0 else "assistant", f"text {number} {i}", number)
                for i in range(6)
            ],
        )
    db.execute("COMMIT")
    counts = [
        db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("conversations", "messages")
    ]
    db.close()
    said: list[str] = []
    store = Store(path, on_upgrade=said.append)
    assert said == [f"upgrading the history database {path} (schema 3 to {SCHEMA_VERSION})"]
    assert [
        store._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("conversations", "messages")
    ] == counts
    newest = store.listing(3)
    assert [c.title for c in newest] == ["title 299", "title 298", "title 297"]
    assert [c.title for c in store.listing(None, since=297)] == [
        "title 299",
        "title 298",
        "title 297",
    ]
    assert len(store.listing(None)) == 300
    found = store.search("text")
    assert found[0][0].title == "title 299"  # newest matches first
    plan = store._db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM conversations ORDER BY updated_at DESC LIMIT 5"
    ).fetchall()
    assert "conversations_by_update" in " ".join(str(tuple(row)) for row in plan)
    store.close()
    again: list[str] = []
    Store(path, on_upgrade=again.append).close()
    assert again == []  # once only


def test_a_reply_killed_mid_stream_is_counted_by_estimate(tmp_path: Path):
    """kill -9 leaves the reply's last progress row (incomplete, no count of the server's):
    its cost is estimated from what was sent before it and its own text, and marked."""
    from chatbot.engine.prices import LIST_PRICES
    from chatbot.store.history import cost_line, costs

    store = Store(tmp_path / "h.db")
    cid = store.new_conversation("palmyra-x5", "be brief " * 10)  # 90 characters
    store.add_message(cid, "user", "q" * 400, "complete")
    store.add_message(cid, "assistant", "a" * 800, "incomplete", "palmyra-x5")
    spend = costs(store, [cid], LIST_PRICES)[cid]
    assert (spend.prompt, spend.completion, spend.estimated) == ((90 + 400) // 4, 200, True)
    assert cost_line(spend).startswith("~122 tokens in, ~200 out: ~$0.00")
    finished = store.new_conversation("palmyra-x5", None)
    store.add_message(finished, "user", "q", "complete")
    row = store.add_message(finished, "assistant", "", "incomplete", "palmyra-x5")
    usage = {"prompt_tokens": 10, "completion_tokens": 2}
    store.update_message(row, "done", "complete", usage=usage)
    counted = costs(store, [finished], LIST_PRICES)[finished]
    assert (counted.prompt, counted.completion, counted.estimated) == (10, 2, False)
