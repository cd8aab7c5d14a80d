"""Branching in the REPL: /edit-last rewrites your last message and asks again, Up after /undo
brings the message back, /fork copies the conversation into a new saved one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.fake_server import Script
from tests.terminal import Terminal


def _input_line(term) -> str:
    """The line being typed: the last one on screen above the toolbar."""
    lines = [line for line in term.lines() if line.strip()]
    return lines[-2]


def _edit_last(term: Terminal, message: str) -> None:
    """/edit-last, then wait until ``message`` is back in the prompt to edit."""
    term.type("/edit-last\r")
    term.wait_for("edit it, then Enter sends it")
    term.wait_until(lambda: _input_line(term) == f"> {message}", "the message back in the prompt")


def _database(home: Path) -> sqlite3.Connection:
    [path] = (home / "data").rglob("history.db")
    return sqlite3.connect(path)


def test_edit_last_puts_the_message_back_to_edit_and_sends_the_new_one(terminal, fake, home):
    term = terminal(pty=True)  # Ctrl-C while a read blocks: SIGINT
    term.say("what is the capital of Australia")
    _edit_last(term, "what is the capital of Australia")
    term.say("?")  # the cursor is at the end of the old text: add to it and send
    sent = [r.messages for r in fake.chat_requests()]
    assert sent[-1][-1]["content"] == "what is the capital of Australia?"
    assert [m["content"] for m in sent[-1] if m["role"] == "user"] == [
        "what is the capital of Australia?"
    ]  # the first exchange is gone from the conversation
    database = _database(home)
    rows = database.execute("SELECT role, content, set_aside FROM messages ORDER BY id").fetchall()
    assert rows == [  # the record keeps the edited exchange, set aside
        ("user", "what is the capital of Australia", "edited away"),
        ("assistant", "You said: what is the capital of Australia", "edited away"),
        ("user", "what is the capital of Australia?", None),
        ("assistant", "You said: what is the capital of Australia?", None),
    ]


def test_up_after_undo_brings_the_message_back(terminal, fake):
    term = terminal()
    term.say("first message")
    term.say("/undo")
    term.wait_for("removed: first message (Up brings it back to edit)")
    term.type("\x1b[A")  # Up
    term.wait_until(lambda: _input_line(term) == "> first message", "the recalled text")
    term.say(" again")
    assert fake.chat_requests()[-1].messages[-1]["content"] == "first message again"
    assert len(fake.chat_requests()[-1].messages) == 1


def test_fork_gives_two_conversations_in_history(terminal, fake, home, run_cli):
    fake.queue(Script(pieces=["Two options: A or B."]))
    term = terminal()
    term.say("plan the trip")
    term.say("/fork")
    term.wait_for("forked: now in ")
    fake.queue(Script(pieces=["Going with B."]))
    term.say("take option B")
    db = _database(home)
    conversations = db.execute("SELECT id, title FROM conversations ORDER BY rowid").fetchall()
    assert [title for _, title in conversations] == ["plan the trip", "plan the trip (fork)"]
    (original, _), (fork, _) = conversations
    contents = {
        cid: [c for (c,) in db.execute(
            "SELECT content FROM messages WHERE conversation_id = ? ORDER BY id", (cid,))]
        for cid in (original, fork)
    }  # fmt: skip
    assert contents[original] == ["plan the trip", "Two options: A or B."]
    assert contents[fork] == ["plan the trip", "Two options: A or B.", "take option B",
                              "Going with B."]  # fmt: skip
    listed = run_cli("history").text
    assert original[:8] in listed and fork[:8] in listed
    assert len(fake.chat_requests()[-1].messages) == 3  # the fork goes on with the context
    assert f"(forked from {original[:8]})" in listed
    assert run_cli("history", "rm", original, "--yes").code == 0
    assert "(forked from a removed conversation)" in run_cli("history").text
    assert "*forked from a removed conversation*" in run_cli("history", "show", fork).text


def test_fork_without_history_is_one_line(terminal, fake, home):
    term = terminal("--no-save")
    term.say("hello")
    term.say("/fork")
    term.wait_for("/fork needs the history, and this chat is not saved")


def test_ctrl_c_while_editing_the_last_message_keeps_the_exchange(terminal, fake, home):
    term = terminal()
    term.say("what is the capital of Australia")
    _edit_last(term, "what is the capital of Australia")
    term.type("\x03")  # Ctrl-C: leave the edit
    term.wait_for("(Ctrl-C again to quit)")
    rows = _database(home).execute("SELECT role, content FROM messages ORDER BY id").fetchall()
    assert rows == [
        ("user", "what is the capital of Australia"),
        ("assistant", "You said: what is the capital of Australia"),
    ]
    term.say("and of Canada")  # a plain message after that keeps the first exchange too
    users = [m["content"] for m in fake.chat_requests()[-1].messages if m["role"] == "user"]
    assert users == ["what is the capital of Australia", "and of Canada"]


def test_retry_after_ctrl_c_before_the_first_token_sends_the_message_again(terminal, fake):
    fake.queue(Script(pieces=["late"], first_byte_delay=30))
    term = terminal(pty=True)  # Ctrl-C while a read waits: SIGINT from the line discipline
    term.type("a question\r")
    fake.wait_for_requests(1)
    term.type("\x03")
    term.wait_for("[interrupted]")
    term.wait_for_prompt(2)
    term.type("/retry\r")
    term.wait_for("You said: a question")
    assert fake.wait_for_requests(2)[1].messages == [{"role": "user", "content": "a question"}]


def test_fork_n_and_undo_n_in_the_repl(terminal, fake, home, run_cli):
    term = terminal()
    for text in ("first", "second", "third"):
        term.say(text)
    term.say("/fork 1")
    term.wait_for("up to exchange 1")
    term.say("another second")
    sent = [m["content"] for m in fake.chat_requests()[-1].messages if m["role"] == "user"]
    assert sent == ["first", "another second"]
    term.say("/fork 9")
    term.wait_for("N must be from 1 to 2 (this conversation has 2 exchanges)")
    term.say("/undo 2")
    term.wait_for("removed 2 exchanges")
    term.say("fresh")
    assert fake.chat_requests()[-1].messages == [{"role": "user", "content": "fresh"}]
    listed = run_cli("history").text
    assert "(forked from " in listed and "at exchange 1)" in listed


def test_undo_keeps_the_record_whole_searchable_and_paid_for(terminal, fake, run_cli):
    term = terminal()
    for n in range(1, 5):
        term.say(f"msg {n}")
    before = run_cli("history", "--cost").text.splitlines()
    term.say("/undo 2")
    after = run_cli("history", "--cost").text.splitlines()
    assert after[-1] == before[-1] and "$0.000" in after[-1]  # nothing paid for left the total
    assert "4 turns" in before[0] and "2 turns" in after[0]  # what the conversation holds
    term.say("/retry")  # the reply to msg 2 is replaced: set aside too
    term.ctrl("d")
    term.wait_exit()
    found = run_cli("history", "search", "msg 4").text
    assert "(undone)" in found and "msg 4" in found
    shown = run_cli("history", "show", "latest").text
    assert "msg 3" not in shown and "3 exchanges set aside" in shown, shown  # /undo 2, /retry
    every = run_cli("history", "show", "latest", "--all").text
    assert every.count("*(set aside: undone)*") == 4  # msg 3 and 4, and their replies
    assert every.count("*(set aside: replaced)*") == 2  # msg 2's first exchange
    assert [len(r.messages) for r in fake.chat_requests()] == [1, 3, 5, 7, 3]
