"""Conversations on disk: one SQLite database, written as a reply streams.

WAL mode and a busy timeout let two writer-chat processes write at once; each write is its own
transaction, so a process killed mid-reply leaves every committed turn and the partial reply
(still marked incomplete). The schema carries a version; migrations bring old files forward.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from chatbot.debug import REDACTOR
from chatbot.engine.context import CHARS_PER_TOKEN
from chatbot.engine.conversation import CUT_SHORT
from chatbot.engine.prices import estimated_usage
from chatbot.errors import EXIT_USAGE, ConversationGone, UsageError, WriterChatError
from chatbot.paths import private_file
from chatbot.sanitize import one_line

BUSY_TIMEOUT_MS = 10_000
LATEST_WORDS = ("latest", "last")  # name the conversation used last

MIGRATIONS = [
    # 1: conversations and their messages
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        model TEXT,
        system TEXT,
        title TEXT
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    """,
    # 2: reply metadata, and full-text search over prompts and replies
    """
    ALTER TABLE messages ADD COLUMN model TEXT;
    ALTER TABLE messages ADD COLUMN usage TEXT;
    ALTER TABLE messages ADD COLUMN first_token_ms REAL;
    ALTER TABLE messages ADD COLUMN duration_ms REAL;
    CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='id');
    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END;
    INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
    """,
    # 3: tool calls and tool answers (JSON beside the text)
    """
    ALTER TABLE messages ADD COLUMN extra TEXT;
    """,
    # 4: the newest conversations first without sorting them all (history, -c)
    """
    CREATE INDEX conversations_by_update ON conversations(updated_at);
    """,
    # 5: where a branch came from (/fork N): the conversation and the exchange it left at
    """
    ALTER TABLE conversations ADD COLUMN forked_from TEXT;
    ALTER TABLE conversations ADD COLUMN forked_at INTEGER;
    """,
    # 6: the record is append-only: a message taken out of its conversation (/undo, /retry,
    # /edit-last, a message no reply came to) stays, set aside and marked why
    """
    ALTER TABLE messages ADD COLUMN set_aside TEXT;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class StoredMessage:
    id: int
    role: str
    content: str
    status: str
    created_at: float
    model: str | None = None
    usage: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None
    set_aside: str | None = None  # why it left the conversation (None: it is in it)


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    created_at: float
    updated_at: float
    model: str | None
    system: str | None
    title: str
    turns: int
    forked_from: str | None = None  # the conversation this one branched off, if it did
    forked_at: int | None = None  # after which exchange of it
    parent_removed: bool = False  # the conversation it branched off was removed since


_Read = TypeVar("_Read", bound=Callable[..., Any])


def _reading(method: _Read) -> _Read:
    """A read of the history that meets a damaged database says so in the user's terms (the
    writes never raise past the journal: chatbot.store.journal)."""

    @functools.wraps(method)
    def read(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as problem:
            raise HistoryUnavailable(
                f"the history database {self.path} cannot be read ({problem}); it is left as it"
                " is: move it aside to start a new history"
            ) from None

    return read  # type: ignore[return-value]  # the same signature as ``method``, wrapped


class NewerSchema(Exception):
    """The database was written by a newer writer-chat: it is not touched."""

    def __init__(self, version: int) -> None:
        super().__init__(f"schema {version}; this writer-chat knows {SCHEMA_VERSION}")
        self.version = version


class CleanConnection(sqlite3.Connection):
    """A connection that passes every text bound into a statement through ``clean`` (the
    run's redactor) first: whichever code path writes to the history, a secret of the run is
    never stored. The one way into the database (tests/test_way_out_rule.py keeps it so)."""

    clean: Callable[[str], str] = staticmethod(REDACTOR.text)

    def _cleaned(self, parameters: Any) -> Any:
        clean = self.clean
        if isinstance(parameters, dict):
            return {k: clean(v) if isinstance(v, str) else v for k, v in parameters.items()}
        return [clean(v) if isinstance(v, str) else v for v in parameters]

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return super().execute(sql, self._cleaned(parameters))

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        return super().executemany(sql, (self._cleaned(row) for row in parameters))


def connect(path: Path, timeout: float, clean: Callable[[str], str]) -> CleanConnection:
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None, factory=CleanConnection)
    db.clean = clean
    return db


class Store:
    def __init__(
        self,
        path: Path,
        *,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        on_upgrade: Callable[[str], None] | None = None,
        clean: Callable[[str], str] = REDACTOR.text,
    ) -> None:
        self.path = path
        self._on_upgrade = on_upgrade
        self.clean = clean  # the spool beside the database is cleaned the same way
        private_file(path)
        self._db = connect(path, busy_timeout_ms / 1000, clean)
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # Read before anything is written: a file that is not a database fails here, and one
        # from a newer version is left exactly as it is.
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self._db.close()
            raise NewerSchema(version)
        self._db.execute("PRAGMA foreign_keys = ON")
        # WAL with synchronous=NORMAL survives a killed process (not a power cut) and saves an
        # fsync per write while a reply streams.
        self._db.execute("PRAGMA synchronous = NORMAL")
        _retry_while_locked(lambda: self._db.execute("PRAGMA journal_mode = WAL"))
        _retry_while_locked(self.migrate)

    def close(self) -> None:
        self._db.close()

    def checkpoint(self) -> None:
        """Move the write-ahead log into the database and truncate it: after a failed write
        (a full disk), the log's space is what the next writes need."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if 0 < version < target and self._on_upgrade is not None:
            self._on_upgrade(
                f"upgrading the history database {self.path} (schema {version} to {target})"
            )
        for number in range(version, target):
            # BEGIN IMMEDIATE: two processes starting at once do not both migrate.
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._db.execute("PRAGMA user_version").fetchone()[0] != number:
                    self._db.execute("ROLLBACK")
                    continue
                for statement in _statements(MIGRATIONS[number]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # writing

    def new_conversation(self, model: str, system: str | None) -> str:
        cid = os.urandom(16).hex()  # 32 hex digits like uuid4().hex; importing uuid costs 2 ms
        now = time.time()
        self._db.execute(
            "INSERT INTO conversations (id, created_at, updated_at, model, system, title)"
            " VALUES (?, ?, ?, ?, ?, '')",
            (cid, now, now, model, system),
        )
        return cid

    def fork(self, cid: str, keep: int | None = None, at: int | None = None) -> str:
        """A new conversation holding a copy of ``cid``'s messages, its first ``keep`` of them
        (all: None), remembered as branched off ``cid`` after exchange ``at``; its id."""
        new = os.urandom(16).hex()
        now = time.time()
        columns = "role, content, status, created_at, model, usage, first_token_ms, duration_ms"
        with self._transaction():
            self._db.execute(
                "INSERT INTO conversations (id, created_at, updated_at, model, system, title,"
                " forked_from, forked_at) SELECT ?, ?, ?, model, system, title || ' (fork)', ?,"
                " ? FROM conversations WHERE id = ?",
                (new, now, now, cid, at, cid),
            )
            self._db.execute(
                f"INSERT INTO messages (conversation_id, {columns}, extra)"
                f" SELECT ?, {columns}, extra FROM messages WHERE conversation_id = ?"
                " AND set_aside IS NULL ORDER BY id LIMIT ?",
                (new, cid, -1 if keep is None else keep),
            )
        return new

    @_reading
    def branches(self, cid: str) -> list[tuple[str, int | None]]:
        """The conversations branched off ``cid``: (id, after which exchange)."""
        rows = self._db.execute(
            "SELECT id, forked_at FROM conversations WHERE forked_from = ? ORDER BY created_at",
            (cid,),
        ).fetchall()
        return [(str(r["id"]), r["forked_at"]) for r in rows]

    def set_system(self, cid: str, system: str | None) -> None:
        self._db.execute("UPDATE conversations SET system = ? WHERE id = ?", (system, cid))

    def add_message(
        self,
        cid: str,
        role: str,
        content: str,
        status: str,
        model: str = "",
        extra: dict[str, Any] | None = None,
    ) -> int:
        now = time.time()
        with self._transaction():
            try:
                cursor = self._db.execute(
                    "INSERT INTO messages (conversation_id, role, content, status, created_at,"
                    " model, extra) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (cid, role, content, status, now, model or None, _json(extra)),
                )
            except sqlite3.IntegrityError as problem:
                if "FOREIGN KEY" not in str(problem):
                    raise
                raise ConversationGone(cid) from None
            self._db.execute(
                "UPDATE conversations SET updated_at = ?, model = COALESCE(?, model),"
                " title = CASE WHEN title = '' AND ? = 'user' THEN ? ELSE title END WHERE id = ?",
                (now, model or None, role, _title(content), cid),
            )
        return int(cursor.lastrowid or 0)

    def update_message(
        self,
        message_id: int,
        content: str,
        status: str,
        *,
        usage: dict[str, Any] | None = None,
        first_token_ms: float | None = None,
        duration_ms: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Rewrite a message's row; ConversationGone when the row was deleted with its
        conversation."""
        cursor = self._db.execute(
            "UPDATE messages SET content = ?, status = ?, usage = COALESCE(?, usage),"
            " first_token_ms = COALESCE(?, first_token_ms),"
            " duration_ms = COALESCE(?, duration_ms), extra = COALESCE(?, extra) WHERE id = ?",
            (content, status, _json(usage), first_token_ms, duration_ms, _json(extra), message_id),
        )
        if cursor.rowcount == 0:
            raise ConversationGone(str(message_id))

    def wait_for_locks(self, milliseconds: int) -> None:
        """How long a write waits for another process's lock before it fails (the chat keeps
        this short: nothing waits on SQLite in front of the user)."""
        self._db.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")

    def exists(self, cid: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM conversations WHERE id = ?", (cid,)).fetchone()
            is not None
        )

    def has_message(self, message_id: int) -> bool:
        found = self._db.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,)).fetchone()
        return found is not None

    def set_aside(self, message_ids: list[int], why: str) -> None:
        """Take messages out of their conversation, kept and marked ``why`` (the record is
        append-only: only ``history rm`` erases)."""
        with self._transaction():
            self._db.executemany(
                "UPDATE messages SET set_aside = ? WHERE id = ?", [(why, i) for i in message_ids]
            )

    @_reading
    def set_aside_exchanges(self, cid: str) -> int:
        """How many of the user's messages of ``cid`` are set aside."""
        row = self._db.execute(
            "SELECT count(*) FROM messages WHERE conversation_id = ? AND role = 'user'"
            " AND set_aside IS NOT NULL",
            (cid,),
        ).fetchone()
        return int(row[0])

    def rename(self, cid: str, title: str) -> None:
        self._db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, cid))

    def delete_conversation(self, cid: str) -> None:
        self._db.execute("DELETE FROM conversations WHERE id = ?", (cid,))

    # reading

    @_reading
    def resolve(self, ref: str) -> str:
        """The full id of the conversation ``ref`` names: ``latest`` (the last one used), a
        unique id prefix, or a title (the whole title, any case; else the start of exactly one
        title). A name that fits none, or more than one, is a usage error that says which."""
        wanted = ref.strip()
        if not wanted:
            raise UsageError("no conversation given (an id, a title or latest)")
        if wanted.lower() in LATEST_WORDS:
            latest = self.latest()
            if latest is None:
                raise UsageError("no saved conversations yet")
            return latest
        if all(c in "0123456789abcdef" for c in wanted.lower()):
            rows = self._db.execute(
                "SELECT id FROM conversations WHERE id LIKE ? ORDER BY updated_at DESC LIMIT 2",
                (wanted.lower() + "%",),
            ).fetchall()
            if len(rows) > 1:
                raise UsageError(
                    f"more than one conversation starts with {wanted}: give more of it"
                )
            if rows:
                return str(rows[0]["id"])
        return self._by_title(wanted)

    def _by_title(self, wanted: str) -> str:
        rows = self._db.execute(
            "SELECT id, title FROM conversations WHERE lower(title) = lower(?)"
            " ORDER BY updated_at DESC LIMIT 1",
            (wanted,),
        ).fetchall()
        if rows:
            return str(rows[0]["id"])
        rows = self._db.execute(
            "SELECT id, title FROM conversations WHERE instr(lower(title), lower(?)) = 1"
            " ORDER BY updated_at DESC LIMIT 6",
            (wanted,),
        ).fetchall()
        shown = one_line(wanted, 60)
        if len(rows) == 1:
            return str(rows[0]["id"])
        if rows:
            some = "; ".join(f"{r['id'][:8]} {one_line(r['title'], 40)}" for r in rows[:5])
            raise UsageError(f"more than one conversation's title starts with '{shown}': {some}")
        raise UsageError(
            f"no conversation with id or title '{shown}' (see writer-chat history; latest is"
            " the last one)"
        )

    @_reading
    def latest(self) -> str | None:
        row = self._db.execute(
            "SELECT id FROM conversations WHERE EXISTS (SELECT 1 FROM messages"
            " WHERE conversation_id = conversations.id) ORDER BY updated_at DESC LIMIT 1"
        ).fetchone()
        return str(row["id"]) if row else None

    @_reading
    def info(self, cid: str) -> ConversationInfo:
        rows = self.conversations(where="c.id = ?", args=(cid,))
        if not rows:
            raise UsageError(f"no conversation with id {cid}")
        return rows[0]

    @_reading
    def conversations(
        self,
        limit: int | None = 1000,
        where: str = "1",
        args: tuple[Any, ...] = (),
    ) -> list[ConversationInfo]:
        """Conversations with at least one message, the most recently used first (walked in
        the order of an index, so the newest come without sorting them all)."""
        rows = self._db.execute(
            "SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id"
            f" AND m.role = 'user' AND m.set_aside IS NULL) AS turns,"
            " (c.forked_from IS NOT NULL AND NOT EXISTS (SELECT 1 FROM conversations p"
            f" WHERE p.id = c.forked_from)) AS parent_removed FROM conversations c WHERE {where}"
            " AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)"
            " ORDER BY c.updated_at DESC LIMIT ?",
            (*args, -1 if limit is None else limit),
        ).fetchall()
        return [
            ConversationInfo(
                r["id"],
                r["created_at"],
                r["updated_at"],
                r["model"],
                r["system"],
                r["title"],
                r["turns"],
                r["forked_from"],
                r["forked_at"],
                bool(r["parent_removed"]),
            )
            for r in rows
        ]

    @_reading
    def listing(
        self, limit: int | None, *, model: str | None = None, since: float | None = None
    ) -> list[ConversationInfo]:
        """``history``: the newest ``limit`` conversations (None: all), filtered."""
        where, args = ["1"], list[object]()
        if model is not None:
            where.append("c.model = ?")
            args.append(model)
        if since is not None:
            where.append("c.updated_at >= ?")
            args.append(since)
        return self.conversations(limit, " AND ".join(where), tuple(args))

    @_reading
    def token_counts(self, cids: list[str]) -> dict[str, list[tuple[str, Any]]]:
        """Each conversation's replies as (model, usage) pairs: what its cost is made of. A
        reply cut short with no count of the server's (the program was killed while it
        streamed) is estimated from the text before it and its own (marked estimated)."""
        found: dict[str, list[tuple[str, Any]]] = {}
        for start in range(0, len(cids), 500):  # SQLite allows only so many ? in one query
            chunk = cids[start : start + 500]
            rows = self._db.execute(
                "SELECT m.conversation_id, m.role, m.model, m.usage, m.status,"
                " length(m.content), length(coalesce(c.system, '')) FROM messages m"
                " JOIN conversations c ON c.id = m.conversation_id"
                f" WHERE m.conversation_id IN ({','.join('?' * len(chunk))})"
                " ORDER BY m.conversation_id, m.id",
                chunk,
            )
            before: dict[str, int] = {}  # characters sent ahead of the next reply
            for cid, role, model, usage, status, size, system in rows:
                sent = before.setdefault(cid, system)
                before[cid] = sent + size
                if usage is not None:
                    try:
                        found.setdefault(cid, []).append((model or "", json.loads(usage)))
                    except ValueError:
                        continue
                elif role == "assistant" and status in CUT_SHORT and size:
                    estimate = estimated_usage(sent // CHARS_PER_TOKEN, size // CHARS_PER_TOKEN)
                    found.setdefault(cid, []).append((model or "", estimate))
        return found

    @_reading
    def messages(self, cid: str, *, every: bool = False) -> list[StoredMessage]:
        """The conversation's messages in order; ``every``: those set aside too, in place."""
        aside = "" if every else " AND set_aside IS NULL"
        rows = self._db.execute(
            f"SELECT * FROM messages WHERE conversation_id = ?{aside} ORDER BY id", (cid,)
        ).fetchall()
        return [
            StoredMessage(
                r["id"],
                r["role"],
                r["content"],
                r["status"],
                r["created_at"],
                r["model"],
                json.loads(r["usage"]) if r["usage"] else None,
                json.loads(r["extra"]) if r["extra"] else None,
                r["set_aside"],
            )
            for r in rows
        ]

    @_reading
    def search(self, text: str, limit: int = 50) -> list[tuple[ConversationInfo, str]]:
        """Conversations whose prompts or replies match ``text``, with a snippet of each."""
        query = " ".join('"' + word.replace('"', '""') + '"' for word in text.split())
        if not query:
            return []
        # Newest first by message id (ids grow with time), which FTS5 walks backwards and stops
        # after ``limit``: no sort of every match, however common the word.
        rows = self._db.execute(
            "SELECT m.conversation_id AS cid, m.set_aside, f.snippet FROM (SELECT rowid,"
            " snippet(messages_fts, 0, '', '', '…', 12) AS snippet FROM messages_fts"
            " WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?) f"
            " JOIN messages m ON m.id = f.rowid ORDER BY f.rowid DESC",
            (query, limit),
        ).fetchall()
        found: dict[str, str] = {}
        for row in rows:
            aside = f"({row['set_aside']}) " if row["set_aside"] else ""
            found.setdefault(row["cid"], aside + row["snippet"])
        return [(self.info(cid), snippet) for cid, snippet in found.items()]

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if kind else "COMMIT")


def _retry_while_locked(action: Callable[[], object]) -> None:
    """Run ``action``, waiting out another process that holds the lock.

    Switching to WAL, and a migration racing another process's, can fail with "database is
    locked" without sqlite's busy handler ever waiting, so wait here instead.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as problem:
            if "locked" not in str(problem) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _statements(script: str) -> list[str]:
    """Split a migration into statements (triggers contain semicolons of their own)."""
    statements, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


def _json(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value) if value else None


class HistoryUnavailable(WriterChatError):
    """The history database cannot be used; the file, if there is one, is left as it is."""

    exit_code = EXIT_USAGE


def open_store(
    folder: Callable[[], Path], on_upgrade: Callable[[str], None] | None = None
) -> Store:
    """Open the history database in ``folder()`` (the user data folder, made if missing), or
    say in one line why it cannot be and what to do. ``on_upgrade`` hears one line when the
    schema is upgraded."""
    path: Path | None = None
    try:
        path = folder() / STORE_NAME
        return Store(path, on_upgrade=on_upgrade)
    except NewerSchema as problem:
        raise HistoryUnavailable(
            f"the history database {path} was written by a newer writer-chat ({problem}); it is"
            " left as it is: upgrade writer-chat, or run with --no-save"
        ) from None
    except sqlite3.OperationalError as problem:
        raise HistoryUnavailable(
            f"cannot open the history database {path}: {problem}; run with --no-save to chat"
            " without saving"
        ) from None
    except sqlite3.DatabaseError as problem:  # "file is not a database", a damaged page
        raise HistoryUnavailable(
            f"the history database {path} cannot be read ({problem}); it is left as it is:"
            " move it aside to start a new history, or run with --no-save"
        ) from None
    except OSError as problem:
        where = path or "the data directory"
        raise HistoryUnavailable(
            f"cannot open the history database {where}: {problem.strerror or problem}; run with"
            " --no-save to chat without saving"
        ) from None


STORE_NAME = "history.db"  # in the user data folder


def _title(content: str) -> str:
    """A conversation's title: the first paragraph of its first message (what was typed, not
    the files attached after it), in one line."""
    return one_line(content.strip().split("\n\n")[0], 60)
