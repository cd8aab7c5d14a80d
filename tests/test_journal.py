"""The history journal as an observer of the engine: in-process, a real SQLite file."""

from __future__ import annotations

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
