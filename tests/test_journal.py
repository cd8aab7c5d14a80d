"""The history journal as an observer of the engine: in-process, a real SQLite file."""

from __future__ import annotations

import sqlite3

from chatbot.engine import conversation as conv
from chatbot.engine.chat import Chat, deliver
from chatbot.engine.request import ChatParams
from chatbot.errors import StreamError
from chatbot.store.database import Store
from chatbot.store.journal import Journal
from tests.test_engine import ScriptedTransport, chunk, reply


def test_the_journal_saves_what_the_engine_did(tmp_path):
    store = Store(tmp_path / "h.db")
    journal = Journal(store)
    transport = ScriptedTransport([reply("Hi ", "there"), [chunk("half"), StreamError("reset")]])
    chat = Chat(transport, ChatParams("palmyra-x5"))
    deliver(chat.send("hello"), [journal])
    deliver(chat.send("and then?"), [journal])
    saved = [(m.role, m.content, m.status) for m in store.messages(journal.conversation_id)]
    assert saved == [
        ("user", "hello", conv.COMPLETE),
        ("assistant", "Hi there", conv.COMPLETE),
        ("user", "and then?", conv.COMPLETE),
        ("assistant", "half", conv.FAILED),
    ]
    assert [m.stored_id for m in chat.conversation.turns] == [
        m.id for m in store.messages(journal.conversation_id)
    ]


def test_a_message_that_got_no_reply_is_taken_back_out(tmp_path):
    store = Store(tmp_path / "h.db")
    journal = Journal(store)
    chat = Chat(ScriptedTransport([reply("ok"), [StreamError("refused")]]), ChatParams("m"))
    deliver(chat.send("kept"), [journal])
    deliver(chat.send("withdrawn"), [journal])
    assert [m.content for m in store.messages(journal.conversation_id)] == ["kept", "ok"]


def test_a_failing_database_never_stops_the_chat_and_is_told_once(tmp_path):
    store = Store(tmp_path / "h.db")
    problems: list[str] = []
    journal = Journal(store, on_problem=problems.append)
    chat = Chat(ScriptedTransport(), ChatParams("m"))
    deliver(chat.send("one"), [journal])
    store._db.close()  # every write from here on fails, as a vanished database would
    for text in ("two", "three"):
        finished = deliver(chat.send(text), [journal])
        assert finished.ok and finished.reply.content == "echo"
    assert [t.content for t in chat.conversation.turns][-2:] == ["three", "echo"]
    assert len(problems) == 1 and problems[0].startswith("not saved to the history yet:")
    assert "Cannot operate on a closed database" in problems[0]


# Changes between exchanges reach the journal as events from Chat's methods, and only so.


def _saved(store: Store, conversation_id: str | None) -> list[str]:
    assert conversation_id is not None
    return [m.content for m in store.messages(conversation_id)]


def _watched_chat(store: Store, **changes) -> tuple[Chat, Journal]:
    journal = Journal(store)
    chat = Chat(ScriptedTransport(), ChatParams("palmyra-x5"), watchers=[journal], **changes)
    return chat, journal


def test_a_new_system_prompt_and_a_taken_back_exchange_reach_the_history(tmp_path):
    store = Store(tmp_path / "h.db")
    chat, journal = _watched_chat(store)
    chat.set_system("Be terse.")  # before anything is saved: saved with the conversation
    deliver(chat.send("one"), [journal])
    deliver(chat.send("two"), [journal])
    cid = chat.conversation.stored_id
    assert cid is not None and store.info(cid).system == "Be terse."
    chat.set_system(None)
    assert store.info(cid).system is None
    chat.undo()
    assert _saved(store, cid) == ["one", "echo"]
    again = chat.retry()
    assert again is not None and again[0] == "one" and _saved(store, cid) == []


def test_new_and_load_switch_where_the_next_messages_are_saved(tmp_path):
    from chatbot.engine.conversation import Conversation
    from chatbot.store.history import load_conversation

    store = Store(tmp_path / "h.db")
    chat, journal = _watched_chat(store)
    deliver(chat.send("first chat"), [journal])
    first = chat.conversation.stored_id
    chat.switch_to(Conversation())
    deliver(chat.send("second chat"), [journal])
    second = chat.conversation.stored_id
    assert second not in (None, first) and journal.conversation_id == second
    chat.switch_to(load_conversation(store, str(first))[0])
    deliver(chat.send("back in the first"), [journal])
    assert _saved(store, first) == ["first chat", "echo", "back in the first", "echo"]
    assert _saved(store, second) == ["second chat", "echo"]


def test_fork_branches_the_saved_rows_and_leaves_the_source_whole(tmp_path):
    store = Store(tmp_path / "h.db")
    chat, journal = _watched_chat(store)
    deliver(chat.send("plan"), [journal])
    source = chat.conversation
    copy = chat.fork()
    assert copy.stored_id not in (None, source.stored_id)
    assert [m.stored_id for m in copy.turns] == [m.id for m in store.messages(copy.stored_id)]
    deliver(chat.send("option B"), [journal])
    assert _saved(store, source.stored_id) == ["plan", "echo"]
    assert _saved(store, copy.stored_id) == ["plan", "echo", "option B", "echo"]


def test_fork_while_saving_fails_is_written_once_saving_works(tmp_path):
    store = Store(tmp_path / "h.db", busy_timeout_ms=50)
    problems: list[str] = []
    journal = Journal(store, on_problem=problems.append)
    chat = Chat(ScriptedTransport(), ChatParams("m"), watchers=[journal])
    other = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # nothing can be written: not the source, not the fork
    deliver(chat.send("plan"), [journal])
    assert journal.fork_refusal(chat.conversation) is None  # the copy waits like the rest
    copy = chat.fork()
    deliver(chat.send("in the fork"), [journal])
    assert problems and copy.stored_id is None
    other.execute("COMMIT")
    deliver(chat.send("later"), [journal])
    assert journal.unsaved() == 0
    assert _saved(store, copy.stored_id) == ["plan", "echo", "in the fork", "echo", "later", "echo"]


def test_fork_is_refused_without_a_history_or_before_a_message(tmp_path):
    chat, journal = _watched_chat(Store(tmp_path / "h.db"))
    assert journal.fork_refusal(chat.conversation) == "nothing to fork yet: send a message first"
    unsaved = Journal(None)
    assert "not saved" in str(unsaved.fork_refusal(chat.conversation))


def test_a_conversation_removed_while_in_use_goes_on_as_a_new_one_said_once(tmp_path):
    store = Store(tmp_path / "h.db")
    problems: list[str] = []
    journal = Journal(store, on_problem=problems.append)
    chat = Chat(ScriptedTransport(), ChatParams("m"), watchers=[journal])
    deliver(chat.send("one"), [journal])
    first = chat.conversation.stored_id
    assert first is not None
    Store(tmp_path / "h.db").delete_conversation(first)  # history rm, from another process
    deliver(chat.send("two"), [journal])
    deliver(chat.send("three"), [journal])
    second = chat.conversation.stored_id
    assert second not in (None, first) and journal.unsaved() == 0
    assert _saved(store, second) == ["two", "echo", "three", "echo"]
    assert len(problems) == 1 and "removed from the history while in use" in problems[0]
    assert first[:8] in problems[0]


def test_a_conversation_removed_while_a_reply_streams_keeps_the_reply(tmp_path, monkeypatch):
    from chatbot.store import journal as journal_module

    monkeypatch.setattr(journal_module, "PROGRESS_INTERVAL", 0.0)  # write at every piece
    store = Store(tmp_path / "h.db")
    problems: list[str] = []
    journal = Journal(store, on_problem=problems.append)
    other = Store(tmp_path / "h.db")

    def remove_midway(event) -> None:
        if type(event).__name__ == "Delta" and event.text == "two ":
            other.delete_conversation(str(journal.conversation_id))

    chat = Chat(ScriptedTransport([reply("one ", "two ", "three")]), ChatParams("m"))
    deliver(chat.send("go"), [journal, remove_midway])
    assert journal.unsaved() == 0 and len(problems) == 1
    assert _saved(store, chat.conversation.stored_id) == ["one two three"]


def test_fork_after_exchange_n_keeps_exchanges_one_to_n_and_the_original_whole(tmp_path):
    from chatbot.store.history import branches_said

    store = Store(tmp_path / "h.db")
    chat, journal = _watched_chat(store)
    for text in ("one", "two", "three"):
        deliver(chat.send(text), [journal])
    source = chat.conversation
    copy = chat.fork(2)
    assert [t.content for t in copy.turns] == ["one", "echo", "two", "echo"]
    deliver(chat.send("two and a half"), [journal])
    sent = chat.transport.bodies[-1]["messages"]
    assert [m["content"] for m in sent] == ["one", "echo", "two", "echo", "two and a half"]
    assert _saved(store, source.stored_id) == ["one", "echo", "two", "echo", "three", "echo"]
    assert _saved(store, copy.stored_id)[-2:] == ["two and a half", "echo"]
    info = store.info(str(copy.stored_id))
    assert (info.forked_from, info.forked_at) == (source.stored_id, 2)
    assert branches_said(store, info) == [f"forked from {str(source.stored_id)[:8]} at exchange 2"]
    said = branches_said(store, store.info(str(source.stored_id)))
    assert said == [f"branched off: {str(copy.stored_id)[:8]} at exchange 2"]


def test_undo_n_takes_back_the_last_n_exchanges(tmp_path):
    store = Store(tmp_path / "h.db")
    chat, journal = _watched_chat(store)
    for text in ("one", "two", "three"):
        deliver(chat.send(text), [journal])
    removed = chat.undo(2)
    assert [m.content for m in removed] == ["two", "echo", "three", "echo"]
    assert _saved(store, chat.conversation.stored_id) == ["one", "echo"]
