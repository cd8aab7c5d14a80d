"""The REPL as a person uses it: the real process in a pseudo-terminal, keys typed, screen read."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import Script
from tests.terminal import Terminal

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
UP = "\x1b[A"


def user_turns(messages: list[dict]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "user"]


def test_two_turns_carry_the_history_and_exit_is_not_sent(terminal, fake):
    term = terminal("--system", "Be brief.")
    term.say("first question")
    term.wait_for("You said: first question")
    term.say("second question")
    term.wait_for("You said: second question")
    term.type("exit\r")
    assert term.wait_exit() == 0

    first, second = fake.chat_requests()
    assert second.body["model"] == "palmyra-x5"
    assert second.body["stream"] is True
    assert second.body["stream_options"] == {"include_usage": True}
    assert second.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "You said: first question"},
        {"role": "user", "content": "second question"},
    ]
    assert first.messages == second.messages[:2]
    assert len(fake.chat_requests()) == 2  # "exit" never reached the server


def test_quit_word_and_ctrl_d_end_the_session(terminal, fake):
    term = terminal()
    term.type("quit\r")
    assert term.wait_exit() == 0
    term = terminal()
    term.ctrl("d")
    assert term.wait_exit() == 0
    assert fake.chat_requests() == []


def test_reply_is_rendered_as_markdown(terminal, fake):
    fake.queue(
        Script(
            pieces=[
                "# Big ",
                "title\n\n",
                "Some **bold** text.\n\n",
                "```python\n",
                "print('hi')\n",
                "```\n",
            ]
        )
    )
    term = terminal()
    term.type("show me\r")
    term.wait_for("print('hi')")
    term.wait_for_prompt(2)
    text = term.text()
    assert "Big title" in text and "# Big" not in text  # the heading is laid out, not raw
    assert "Some bold text." in text and "**" not in text
    assert "```" not in text


def test_ctrl_c_during_a_slow_stream_keeps_the_partial_reply(terminal, fake):
    fake.queue(Script(pieces=[f"word{i} " for i in range(300)], delay=0.1))
    term = terminal()
    term.type("tell me a long story\r")
    term.wait_for("word3")
    term.ctrl("c")
    # The whole stream would take 30 s: the prompt must come back long before that.
    term.wait_for("[interrupted]", timeout=3)
    term.wait_for_prompt(2, timeout=3)
    assert term.child.isalive()
    assert term.text().count("word0 word1") == 1  # drawn once: no duplicate left behind
    request = fake.chat_requests()[0]
    term.wait_until(lambda: request.disconnected, "the server to see the disconnect", 3)

    term.type("go on\r")
    term.wait_for("You said: go on")
    second = fake.chat_requests()[1]
    partial = second.messages[1]
    assert partial["role"] == "assistant"
    assert partial["content"].startswith("word0 word1 word2 word3")
    assert "word299" not in partial["content"]
    assert user_turns(second.messages) == ["tell me a long story", "go on"]


def test_ctrl_c_at_the_prompt_clears_the_line_and_does_not_quit(terminal, fake):
    term = terminal()
    term.type("half a thought")
    term.wait_for("half a thought")
    term.ctrl("c")
    term.wait_for_prompt(2)
    assert term.child.isalive()
    term.type("hello\r")
    term.wait_for("You said: hello")
    assert user_turns(fake.chat_requests()[0].messages) == ["hello"]


def test_a_draft_cleared_with_ctrl_c_comes_back_with_up(terminal, fake, home):
    term = terminal()
    term.say("sent before")
    term.type("a long draft I do not want to lose")
    term.wait_for("a long draft I do not want to lose")
    term.ctrl("c")
    term.wait_for_prompt(3)
    term.type(UP)
    draft = "> a long draft I do not want to lose"
    term.wait_until(lambda: term.lines().count(draft) == 2, "the draft back at the prompt")
    term.type("\r")
    term.wait_for("You said: a long draft I do not want to lose")
    assert [user_turns(r.messages)[-1] for r in fake.chat_requests()] == [
        "sent before",
        "a long draft I do not want to lose",
    ]


def test_multiline_paste_and_alt_enter_send_one_message(terminal, fake):
    term = terminal()
    term.type(f"{PASTE_START}line one\nline two\nline three{PASTE_END}")
    term.wait_for("line three")
    term.type("\r")
    term.wait_for("You said: line one")
    term.wait_for_prompt(2)
    term.type("top\x1b\rbottom\r")  # Alt-Enter between the two words
    term.wait_for("bottom", timeout=5)
    requests = fake.wait_for_requests(2)
    assert user_turns(requests[0].messages) == ["line one\nline two\nline three"]
    assert user_turns(requests[1].messages)[-1] == "top\nbottom"


def test_failed_request_keeps_the_message_in_input_history(terminal, fake, home):
    fake.queue(Script(status=500, error="upstream exploded"))
    term = terminal("--retries", "0")
    term.type("precious words\r")
    term.wait_for("error: Writer API server error (HTTP 500): upstream exploded")
    term.wait_for_prompt(2)
    term.type(UP)  # the failed message comes back with the up arrow
    term.wait_until(lambda: term.lines()[-30:].count("> precious words") >= 2, "recalled text")
    term.type("\r")
    term.wait_for("You said: precious words")
    second = fake.chat_requests()[1]
    # the failed turn left no trace: one user message, not two in a row
    assert user_turns(second.messages) == ["precious words"]
    assert len(second.messages) == 1

    history = home / "data" / "writer-chat" / "input_history"
    assert "precious words" in history.read_text()
    assert stat.S_IMODE(os.stat(history).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(history.parent).st_mode) == 0o700


def test_ctrl_c_while_waiting_for_the_first_token(terminal, fake):
    fake.queue(Script(first_byte_delay=30))
    term = terminal(pty=True)  # Ctrl-C while a read waits: SIGINT from the line discipline
    term.type("slow one\r")
    term.wait_until(lambda: len(fake.chat_requests()) == 1, "the request")
    term.ctrl("c")
    term.wait_for("[interrupted]", timeout=3)
    term.wait_for_prompt(2, timeout=3)
    term.type("next\r")
    term.wait_for("You said: next")
    # nothing arrived, so the interrupted turn left no trace in the conversation
    assert fake.chat_requests()[1].messages == [{"role": "user", "content": "next"}]


def test_ctrl_r_searches_earlier_input(terminal, fake):
    term = terminal()
    term.say("remember the alamo")
    term.wait_for("You said: remember the alamo")
    term.say("something else")
    term.wait_for("You said: something else")
    term.ctrl("r")
    term.type("alamo")
    term.wait_for("alamo'")  # prompt_toolkit's reverse-i-search line
    term.type("\r")  # accept the match into the line
    term.type("\r")  # and send it
    term.wait_until(lambda: len(fake.chat_requests()) == 3, "the third request")
    assert user_turns(fake.chat_requests()[2].messages)[-1] == "remember the alamo"


def test_one_shot_on_a_terminal_renders_markdown_and_exits(fake, home):
    fake.queue(Script(pieces=["## Heading\n\n", "- one\n", "- two\n"]))
    term = Terminal([WRITER_CHAT, "list please"], cli_env(home, fake.url), str(home / "work"))
    try:
        assert term.wait_exit() == 0
        text = term.text()
        assert "Heading" in text and "## Heading" not in text
        assert "• one" in text and "• two" in text
    finally:
        term.close()


def test_ctrl_c_in_one_shot_exits_130_and_keeps_the_text(fake, home):
    fake.queue(Script(pieces=[f"w{i} " for i in range(300)], delay=0.1))
    term = Terminal([WRITER_CHAT, "go"], cli_env(home, fake.url), str(home / "work"))
    try:
        term.wait_for("w3")
        term.ctrl("c")
        assert term.wait_exit(timeout=3) == 130
        assert "w0 w1 w2 w3" in term.text()
        assert "[interrupted]" in term.text()
    finally:
        term.close()


def _long_reply(sections: int) -> list[str]:
    generic = (Path(__file__).with_name("documents") / "generic.md").read_text()
    text = (
        "\n".join(
            generic.replace("## Getting started", f"## Part {n}: getting started", 1)
            for n in range(1, sections + 1)
        )
        + "\nThe very last line."
    )
    return [text[i : i + 7] for i in range(0, len(text), 7)]


def _headings(term: Terminal) -> list[str]:
    return [line.strip() for line in term.lines() if "getting started with the parser" in line]


def test_a_reply_taller_than_the_terminal_is_drawn_once(terminal, fake):
    fake.queue(Script(pieces=_long_reply(8), delay=0.001))
    term = terminal()
    term.type("long please\r")
    term.wait_for_prompt(2, timeout=30)
    assert _headings(term) == [f"Part {n}: getting started with the parser" for n in range(1, 9)]
    assert "The very last line." in "\n".join(term.screen.display)  # on screen, not scrolled off


def test_terminal_resize_during_a_stream_keeps_printed_text_intact(terminal, fake):
    fake.queue(Script(pieces=_long_reply(6), delay=0.003))
    term = terminal(pty=True)  # a resize is the terminal's
    term.type("long please\r")
    term.wait_for("Part 2: getting started")
    term.screen.resize(30, 80)
    term.child.setwinsize(30, 80)
    term.wait_for_prompt(2, timeout=30)
    assert _headings(term) == [f"Part {n}: getting started with the parser" for n in range(1, 7)]
    assert "The very last line." in "\n".join(term.screen.display)


def test_no_markdown_shows_the_source_text(terminal, fake):
    fake.queue(Script(pieces=["# Title\n\n", "**bold**\n"]))
    term = terminal("--no-markdown")
    term.type("raw\r")
    term.wait_for("**bold**")
    assert "# Title" in term.text()


def test_no_color_keeps_the_layout_and_drops_every_colour(fake, home):
    long_words = " ".join(f"wordnumber{n}" for n in range(40))
    table = "| key | value |\n|---|---|\n| alpha | one |\n"
    fake.queue(Script(pieces=["# Title\n\n", "**bold** and *it*\n\n", table, "\n", long_words]))
    env = cli_env(home, fake.url, NO_COLOR="1")
    term = Terminal([WRITER_CHAT, "layout please"], env, str(home / "work"))
    try:
        assert term.wait_exit() == 0
    finally:
        term.close()
    text = term.text()
    assert "Title" in text and "# Title" not in text  # the heading is laid out...
    assert "bold and it" in text and "**" not in text  # ...emphasis markers are not shown
    assert any(line.split() == ["alpha", "one"] for line in term.lines())  # a table, laid out
    assert any(set(line.strip()) == {"─"} for line in term.lines())
    words = [w for line in term.lines() for w in line.split() if w.startswith("wordnumber")]
    assert words == [f"wordnumber{n}" for n in range(40)]  # wrapped between words, never inside
    assert re.search(rb"\x1b\[[0-9;]*m", term.raw) is None  # no colour or emphasis codes


def test_retry_after_a_broken_stream_resends_without_duplicating(terminal, fake):
    fake.queue(Script(pieces=["half ", "an ", "answer"], fault="reset", fault_after=2))
    term = terminal()
    term.type("explain\r")
    term.wait_for("error: the connection broke mid-reply")
    term.wait_for_prompt(2)
    assert "half an" in term.text()
    term.type("/retry\r")
    term.wait_for("You said: explain")
    first, second = fake.wait_for_requests(2)
    assert first.messages == second.messages == [{"role": "user", "content": "explain"}]
    term.wait_for_prompt(3)
    term.type("more\r")
    term.wait_for("You said: more")
    third = fake.wait_for_requests(3)[2]
    assert [m["role"] for m in third.messages] == ["user", "assistant", "user"]
    assert third.messages[1]["content"] == "You said: explain"  # the broken reply was dropped


def test_retry_after_a_failure_before_any_reply(terminal, fake):
    fake.queue(Script(status=400, error="temporarily bad"))
    term = terminal()
    term.type("try me\r")
    term.wait_for("temporarily bad")
    term.wait_for_prompt(2)
    term.type("/retry\r")
    term.wait_for("You said: try me")
    assert fake.wait_for_requests(2)[1].messages == [{"role": "user", "content": "try me"}]


def test_undo_removes_the_last_exchange(terminal, fake):
    term = terminal()
    term.say("keep this")
    term.wait_for("You said: keep this")
    term.say("forget this")
    term.wait_for("You said: forget this")
    term.type("/undo\r")
    term.wait_for("removed: forget this")
    term.wait_for_prompt(4)
    term.type("next\r")
    term.wait_for("You said: next")
    assert user_turns(fake.wait_for_requests(3)[2].messages) == ["keep this", "next"]


def test_unknown_command_is_not_sent_and_double_slash_escapes(terminal, fake):
    term = terminal()
    term.type("/frobnicate\r")
    term.wait_for("unknown command /frobnicate")
    term.wait_for_prompt(2)
    term.type("//etc/hosts is a file\r")
    term.wait_for("You said: /etc/hosts is a file")
    assert user_turns(fake.chat_requests()[0].messages) == ["/etc/hosts is a file"]


def test_double_ctrl_c_at_the_prompt_exits(terminal, fake):
    term = terminal()
    term.ctrl("c")
    term.wait_for("Ctrl-C again to quit")
    term.ctrl("c")
    assert term.wait_exit() == 0


def test_retry_notice_in_the_repl_leaves_the_screen_clean(terminal, fake):
    fake.queue(Script(status=429, headers={"retry-after-ms": "300"}))
    term = terminal()
    term.say("hello")
    term.wait_for("You said: hello")
    text = term.text()
    assert text.count("rate limited, retrying in 0.3 s (1/2)") == 1
    assert "waiting for the reply" not in text  # the spinner is gone
    assert text.count("You said: hello") == 1


def test_ten_turns_share_one_connection(terminal, fake):
    term = terminal()
    for turn in range(10):
        term.type(f"turn {turn}\r")
        term.wait_for(f"You said: turn {turn}")
        term.wait_for_prompt(turn + 2)
    requests = fake.chat_requests()
    assert len(requests) == 10
    assert len({request.client_port for request in requests}) == 1
    assert len(requests[-1].messages) == 19  # and every turn carried the whole conversation


def test_a_paste_taller_than_the_window_stays_whole_in_the_scrollback(terminal, fake):
    pasted = [f"pasted line {n:03d} of the long paste" for n in range(300)]
    term = terminal()
    term.type(PASTE_START + "\n".join(pasted) + PASTE_END)
    term.wait_for("pasted line 299")
    term.type("\r")
    term.wait_for("You said: pasted line 000")
    term.wait_for_prompt(2)
    lines = term.lines()
    sent = lines[: lines.index(next(row for row in lines if "You said" in row))]
    assert [row for row in sent if "pasted line" in row] == [
        f"{'> ' if n == 0 else '… '}{line}" for n, line in enumerate(pasted)
    ]  # every line once, in order, as the prompt showed it
    assert sum("· context" in row for row in lines) <= 1  # only the live toolbar


def test_a_long_single_line_is_shown_whole_without_blank_lines(terminal, fake):
    words = [f"w{n:04d}" for n in range(1600)]  # 8 KB on one line, pasted as a terminal does
    term = terminal()
    term.type(PASTE_START + " ".join(words) + PASTE_END + "\r")
    term.wait_for("You said: w0000")
    term.wait_for_prompt(2)
    lines = term.lines()
    shown = " ".join(lines)
    assert "> w0000" in shown and "w1599" in shown
    blank_run = longest = 0
    for row in lines[: lines.index(next(r for r in lines if "You said" in r))]:
        blank_run = blank_run + 1 if not row.strip() else 0
        longest = max(longest, blank_run)
    assert longest <= 2


def test_slash_edit_shows_the_message_it_sends(fake, home):
    editor = 'sh -c \'printf "written in the editor" > "$1"\' sh'
    env = cli_env(home, fake.url, VISUAL=editor)
    term = Terminal([WRITER_CHAT], env, str(home / "work"))
    try:
        term.wait_for_prompt(1)
        term.say("/edit")
        term.wait_for("You said: written in the editor")
        assert any(row.startswith("> written in the editor") for row in term.lines())
    finally:
        term.close()
    assert user_turns(fake.chat_requests()[0].messages) == ["written in the editor"]


def test_after_a_refused_key_the_hint_says_how_to_mend_it_not_retry(terminal, fake):
    fake.queue(Script(status=401, error="Invalid API key"))
    term = terminal()
    term.say("hello")
    term.wait_for("the key cannot be changed from here")
    assert "/retry sends it again" not in term.text()


def test_clear_clears_like_a_shell_and_exit_is_not_kept_for_up(terminal, fake, home):
    term = terminal()
    term.say("remember me")
    term.type("clear\r")
    term.wait_for("new conversation")  # the screen was cleared: prompts are counted anew
    term.type("after clearing\r")
    term.wait_for("You said: after clearing")
    assert fake.chat_requests()[-1].messages == [{"role": "user", "content": "after clearing"}]
    assert all(m["content"] != "clear" for r in fake.chat_requests() for m in r.messages)
    term.type("exit\r")
    assert term.wait_exit() == 0
    kept = (home / "data" / "writer-chat" / "input_history").read_text()
    assert "+remember me" in kept and "+exit" not in kept
