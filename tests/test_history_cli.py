"""Saved conversations through the real binary: -c, --cid, history, --no-save."""

from __future__ import annotations

import json

import pytest

from tests.conftest import memory_env
from tests.fake_server import Script


def test_continue_sends_the_earlier_turns(run_cli, fake):
    assert run_cli("-s", "Be brief.", "first").code == 0
    result = run_cli("-c", "second")
    assert result.code == 0, result.stderr
    second = fake.chat_requests()[1]
    assert second.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "You said: first"},
        {"role": "user", "content": "second"},
    ]


def test_cid_prefix_picks_a_conversation(run_cli, fake):
    run_cli("alpha")
    run_cli("beta")
    listing = run_cli("history").text.splitlines()
    alpha = next(line for line in listing if line.endswith("alpha"))
    assert run_cli("--cid", alpha[:6], "more").code == 0
    assert next(m["content"] for m in fake.chat_requests()[-1].messages) == "alpha"
    assert run_cli("--cid", "ffffffffffff", "x").code == 2


def test_history_list_show_export_search_rm(run_cli, fake):
    fake.queue(Script(pieces=["Cats purr ", "at **25 Hz**."]))
    run_cli("why do cats purr")
    run_cli("tell me about dogs")
    lines = run_cli("history").text.splitlines()
    assert len(lines) == 2 and lines[0].endswith("tell me about dogs")
    assert "palmyra-x5" in lines[0] and "1 turn" in lines[0]
    cat_id = lines[1].split()[0]

    shown = run_cli("history", "show", cat_id).text
    assert "why do cats purr" in shown and "Cats purr at **25 Hz**." in shown

    exported = json.loads(run_cli("history", "export", cat_id, "--format", "json").text)
    assert [m["role"] for m in exported["messages"]] == ["user", "assistant"]
    assert exported["id"].startswith(cat_id)
    assert run_cli("history", "export", cat_id, "--format", "md").text.startswith("# why do cats")

    found = run_cli("history", "search", "purr").text
    assert cat_id in found and "dogs" not in found
    assert run_cli("history", "search", "zebras").text.strip() == "no matches"

    assert run_cli("history", "rm", cat_id).code == 0
    remaining = run_cli("history").text.splitlines()
    assert len(remaining) == 1 and "dogs" in remaining[0]
    assert run_cli("history", "show", cat_id).code == 2


def test_a_prompt_that_is_a_command_word_is_still_sendable(run_cli, fake):
    result = run_cli("--", "history")
    assert result.code == 0 and result.text == "You said: history\n"


def test_no_save_writes_nothing(run_cli, fake, home):
    assert run_cli("--no-save", "secret plans").code == 0
    assert not (home / "data" / "writer-chat" / "history.db").exists()
    assert run_cli("--no-save", "-c", "x").code == 2


def test_continue_with_nothing_saved_is_a_clear_error(run_cli, fake):
    result = run_cli("-c", "hello")
    assert result.code == 2 and "no saved conversation" in result.stderr


def test_a_refused_turn_is_kept_aside_and_a_broken_one_is_marked(run_cli, fake):
    fake.queue(Script(status=400, error="nope"))
    run_cli("rejected")
    fake.queue(Script(pieces=["half", "never"], fault="reset", fault_after=1))
    run_cli("broken")
    lines = run_cli("history").text.splitlines()
    assert len(lines) == 2 and lines[0].endswith("1 turn   broken")
    assert lines[1].endswith("0 turns  rejected")  # sent, never answered: in the record, aside
    refused = run_cli("history", "show", lines[1].split()[0]).text
    assert "1 exchange set aside" in refused and "## You" not in refused
    every = run_cli("history", "show", lines[1].split()[0], "--all").text
    assert "## You *(set aside: no reply)*\n\nrejected" in every
    exported = json.loads(
        run_cli("history", "export", lines[0].split()[0], "--format", "json").text
    )
    assert exported["messages"][1] == {"role": "assistant", "content": "half", "status": "failed"}


def test_the_fast_path_and_the_parser_know_the_same_subcommands():
    import typer

    from chatbot.cli.parser import _sub_command
    from chatbot.cli.program import SUBCOMMANDS

    apps = [_sub_command(word) for word in SUBCOMMANDS]
    assert all(isinstance(app, typer.Typer) for app in apps)
    assert len({id(app) for app in apps}) == len(SUBCOMMANDS)  # each word its own commands
    with pytest.raises(KeyError):
        _sub_command("histroy")


def test_history_limit_all_model_and_since(run_cli, fake):
    for number in range(4):
        model = "palmyra-x4" if number % 2 else "palmyra-x5"
        assert run_cli("-m", model, f"question {number}").code == 0
    newest_two = run_cli("history", "--limit", "2").text.splitlines()
    assert [row.split()[-1] for row in newest_two] == ["3", "2"]
    assert len(run_cli("history", "--all").text.splitlines()) == 4
    x4 = run_cli("history", "--all", "--model", "palmyra-x4").text.splitlines()
    assert [row.split()[-1] for row in x4] == ["3", "1"]
    assert len(run_cli("history", "--since", "1d").text.splitlines()) == 4
    assert run_cli("history", "--since", "2999-01-01").text == "no saved conversations yet\n"
    bad = run_cli("history", "--since", "yesterday")
    assert bad.code == 2 and "give a date" in bad.stderr


def test_a_long_listing_on_a_terminal_goes_through_the_pager(run_cli, fake, home):
    from tests.conftest import WRITER_CHAT, cli_env
    from tests.terminal import Terminal

    for number in range(40):
        assert run_cli(f"question {number}").code == 0
    paged = home / "paged.txt"
    env = cli_env(home, fake.url, PAGER=f"tee {paged}")
    term = Terminal([WRITER_CHAT, "history", "--all"], env, str(home / "work"))
    try:
        assert term.wait_exit() == 0
    finally:
        term.close()
    assert len(paged.read_text().splitlines()) == 40


def test_continue_goes_on_with_the_conversations_model_unless_a_flag_names_one(run_cli, fake):
    assert run_cli("-m", "palmyra-x4", "first").code == 0
    assert run_cli("-c", "second").code == 0
    assert fake.chat_requests()[-1].body["model"] == "palmyra-x4"
    cid = run_cli("history").text.split()[0]
    assert run_cli("--cid", cid, "third").code == 0
    assert fake.chat_requests()[-1].body["model"] == "palmyra-x4"
    assert run_cli("-c", "-m", "palmyra-x5", "fourth").code == 0
    assert fake.chat_requests()[-1].body["model"] == "palmyra-x5"
    assert "palmyra-x5" in run_cli("history").text.splitlines()[0]  # the last model is kept


def test_continue_keeps_the_saved_system_prompt_unless_a_flag_replaces_it(run_cli, fake):
    assert run_cli("-s", "Be brief.", "first").code == 0
    assert run_cli("-c", "second").code == 0
    assert fake.chat_requests()[-1].messages[0] == {"role": "system", "content": "Be brief."}
    assert run_cli("-c", "-s", "Be long.", "third").code == 0
    assert fake.chat_requests()[-1].messages[0] == {"role": "system", "content": "Be long."}
    assert run_cli("-c", "fourth").code == 0  # the replaced prompt was saved
    assert fake.chat_requests()[-1].messages[0] == {"role": "system", "content": "Be long."}


def test_history_rm_on_a_terminal_asks_first(run_cli, fake):
    run_cli("keep me")
    cid = run_cli("history").text.split()[0]

    def rm(answer: str) -> str:
        return run_cli("history", "rm", cid, stdin=answer.encode(), on_terminal=True).text

    assert "“keep me” from the history? [y/N]" in rm("\n") and "not deleted" in rm("n\n")
    assert cid[:8] in run_cli("history").text
    assert "removed" in rm("y\n")
    assert run_cli("history").text.strip() == "no saved conversations yet"


def test_a_title_is_what_was_typed_not_the_file_attached(run_cli, fake, home):
    (home / "work" / "notes.md").write_text("# Notes\nlong attached text\n")
    run_cli("-f", "notes.md", "summarise")
    assert run_cli("history").text.rstrip().endswith("summarise")


def test_json_and_extract_together_are_refused(run_cli, fake):
    result = run_cli("--json", "-x", "go")
    assert result.code == 2 and "choose one" in result.stderr and fake.chat_requests() == []


def test_rename_and_a_json_list_for_scripts(run_cli, fake):
    run_cli("what is a monad?")
    cid = run_cli("history").text.split()[0]
    assert run_cli("history", "rename", cid, "Monads,", "plainly").code == 0
    [listed] = json.loads(run_cli("history", "--json").text)
    assert listed["title"] == "Monads, plainly" and listed["id"].startswith(cid)
    assert listed["turns"] == 1 and listed["model"] == "palmyra-x5"  # turns: exchanges
    assert run_cli("-c", "and a functor?").code == 0  # a title of one's own stays
    assert json.loads(run_cli("history", "--json").text)[0]["title"] == "Monads, plainly"
    assert run_cli("history", "rename", cid, " ").code == 2


def test_slash_title_names_the_saved_conversation(tmp_path):
    from chatbot.engine.chat import Chat, deliver
    from chatbot.engine.request import ChatParams
    from chatbot.store.database import Store
    from chatbot.store.journal import Journal
    from chatbot.terminal.slash_commands import COMMANDS, Session
    from tests.test_engine import ScriptedTransport

    store = Store(tmp_path / "h.db")
    journal = Journal(store)
    session = Session(
        Chat(ScriptedTransport(), ChatParams("m"), watchers=[journal]), journal, store,
        env=memory_env(),
    )  # fmt: skip
    assert COMMANDS.run("/title Early", session).message == "title: Early"  # kept for the save
    deliver(session.chat.send("hello"), [journal])
    assert store.info(str(session.chat.conversation.stored_id)).title == "Early"
    assert COMMANDS.run("/title Trip plans", session).message == "title: Trip plans"
    assert store.info(str(session.chat.conversation.stored_id)).title == "Trip plans"
    COMMANDS.run("/new", session)
    deliver(session.chat.send("another"), [journal])
    assert store.info(str(session.chat.conversation.stored_id)).title == "another"
    off = Session(Chat(ScriptedTransport(), ChatParams("m")), Journal(None), env=memory_env())
    assert "history is off" in COMMANDS.run("/title X", off).message


def test_slash_save_of_an_empty_conversation_writes_nothing(tmp_path):
    from chatbot.engine.chat import Chat, deliver
    from chatbot.engine.request import ChatParams
    from chatbot.errors import ApiError
    from chatbot.store.journal import Journal
    from chatbot.terminal.slash_commands import COMMANDS, Session
    from tests.test_engine import ScriptedTransport

    chat = Chat(ScriptedTransport([[ApiError("boom")]]), ChatParams("m"))
    session = Session(chat, Journal(None), env=memory_env(cwd=tmp_path))
    empty = COMMANDS.run(f"/save {tmp_path / 'a.md'}", session)
    assert empty.error and empty.message == "nothing to save yet: the conversation is empty"
    deliver(chat.send("this one fails"), [])
    failed = COMMANDS.run(f"/save {tmp_path / 'a.md'}", session)
    assert failed.error and failed.message.endswith(
        "(your last message failed: /retry sends it again)"
    )
    assert list(tmp_path.iterdir()) == []


def test_logs_is_history(run_cli, fake):
    assert run_cli("first").code == 0
    assert run_cli("logs").text == run_cli("history").text != ""
    assert len(fake.chat_requests()) == 1
