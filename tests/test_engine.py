"""The chat engine in-process: a scripted transport, no sockets, no terminal, no threads.

What the PTY and fake-server tests check for one turn, checked here on the engine itself:
history order, the system prompt, trimming, the tool loop, failures, Ctrl-C, /retry and /undo.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chatbot.engine import conversation as conv
from chatbot.engine.chat import DECLINED, NOT_RUN_ROUNDS, STOPPED, Chat, deliver
from chatbot.engine.context import ContextBudget
from chatbot.engine.conversation import Conversation
from chatbot.engine.events import (
    Delta,
    Event,
    Finished,
    Notice,
    ReplyEnded,
    RequestSent,
    ToolAnswered,
    ToolAsked,
    UserSent,
    UserWithdrawn,
)
from chatbot.engine.request import ChatParams
from chatbot.errors import ApiConnectionError, ApiError, StreamError
from chatbot.tools.functions_file import FunctionBox


def chunk(content: str | None = None, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    """A chunk shaped like the recorded Writer stream (role on every delta, null placeholders)."""
    body = {"role": "assistant", "content": content, "refusal": None, **delta}
    return {"id": "x", "choices": [{"index": 0, "delta": body, "finish_reason": finish}]}


def reply(*pieces: str, finish: str = "stop") -> list[Any]:
    return [chunk(""), *(chunk(p) for p in pieces), chunk(finish=finish)]


def usage(prompt: int, total: int) -> dict[str, Any]:
    return {"choices": [], "usage": {"prompt_tokens": prompt, "total_tokens": total}}


def tool_calls(*calls: tuple[str, str]) -> list[Any]:
    fragments = [
        {"index": i, "id": f"call-{i}", "type": "function", "function": {"name": n, "arguments": a}}
        for i, (n, a) in enumerate(calls)
    ]
    return [chunk(None, "tool_calls", tool_calls=fragments)]


@dataclass
class ScriptedTransport:
    """Plays one script per request: chunk dicts and Notices are yielded, exceptions raised."""

    scripts: list[list[Any]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    closed: list[bool] = field(default_factory=list)

    def stream(self, body: dict[str, Any]) -> Iterator[Any]:
        self.bodies.append(body)
        script = self.scripts.pop(0) if self.scripts else reply("echo")
        index = len(self.closed)
        self.closed.append(False)
        try:
            for item in script:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.closed[index] = True


def run(chat: Chat, text: str, *observers: Any) -> tuple[Finished, list[Event]]:
    seen: list[Event] = []
    finished = deliver(chat.send(text), [seen.append, *observers])
    return finished, seen


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_one_exchange_yields_its_events_in_order():
    transport = ScriptedTransport([reply("Hel", "lo")])
    finished, events = run(Chat(transport, ChatParams("palmyra-x5")), "hi")
    assert kinds(events) == [
        "UserSent", "RequestSent", "Delta", "Delta", "ReplyEnded", "Finished",
    ]  # fmt: skip
    assert [e.text for e in events if isinstance(e, Delta)] == ["Hel", "lo"]
    assert finished.ok and finished.status == conv.COMPLETE and finished.reply.content == "Hello"
    assert transport.closed == [True]


def test_the_history_carries_the_system_prompt_and_every_turn_in_order():
    transport = ScriptedTransport([reply("one"), reply("two")])
    chat = Chat(transport, ChatParams("palmyra-x5"), Conversation(system="Be brief."))
    run(chat, "first")
    run(chat, "second")
    first, second = transport.bodies
    assert second["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "one"},
        {"role": "user", "content": "second"},
    ]
    assert first["messages"] == second["messages"][:2]
    assert second["stream"] is True and second["stream_options"] == {"include_usage": True}


def test_params_reach_the_body_and_change_between_exchanges():
    transport = ScriptedTransport()
    chat = Chat(transport, ChatParams("palmyra-x5", temperature=0.2, stop=("END",)))
    run(chat, "a")
    chat.set_params(model="palmyra-x4", temperature=None)
    run(chat, "b")
    assert transport.bodies[0]["model"] == "palmyra-x5"
    assert transport.bodies[0]["temperature"] == 0.2 and transport.bodies[0]["stop"] == ["END"]
    assert transport.bodies[1]["model"] == "palmyra-x4" and "temperature" not in transport.bodies[1]


def test_a_failure_before_any_reply_leaves_the_conversation_as_it_was():
    refused = ApiConnectionError("cannot connect to http://x: refused")
    transport = ScriptedTransport([[refused]])
    chat = Chat(transport, ChatParams("palmyra-x5"))
    finished, events = run(chat, "lost?")
    assert kinds(events) == ["UserSent", "RequestSent", "UserWithdrawn", "ReplyEnded", "Finished"]
    assert finished.error is refused and not finished.ok
    assert chat.conversation.turns == []
    assert chat.retry() == ("lost?", [])  # /retry sends it again, nothing to take out
    assert chat.retry() is None


def test_a_reply_broken_midway_is_kept_and_marked_failed():
    transport = ScriptedTransport([[chunk("partial "), chunk("text"), StreamError("reset")]])
    chat = Chat(transport, ChatParams("palmyra-x5"))
    finished, events = run(chat, "go")
    assert isinstance(finished.error, StreamError)
    assert [(t.role, t.content, t.status) for t in chat.conversation.turns] == [
        ("user", "go", conv.COMPLETE),
        ("assistant", "partial text", conv.FAILED),
    ]
    assert not any(isinstance(e, UserWithdrawn) for e in events)
    assert chat.failed_input is None  # /retry replaces the broken reply instead
    text, removed = chat.retry()
    assert text == "go" and [m.status for m in removed] == [conv.COMPLETE, conv.FAILED]
    assert chat.conversation.turns == []


def test_a_body_that_ends_without_a_finish_reason_is_incomplete():
    transport = ScriptedTransport([[chunk("cut")]])
    chat = Chat(transport, ChatParams("palmyra-x5"))
    finished, _ = run(chat, "go")
    assert isinstance(finished.error, StreamError)
    assert "ended before the reply was finished" in str(finished.error)
    assert chat.conversation.turns[-1].status == conv.FAILED


@pytest.mark.parametrize(
    ("finish", "status"), [("length", conv.LENGTH), ("content_filter", conv.CONTENT_FILTER)]
)
def test_a_reply_cut_by_the_server_says_how(finish, status):
    chat = Chat(ScriptedTransport([reply("abc", finish=finish)]), ChatParams("palmyra-x5"))
    finished, _ = run(chat, "go")
    assert finished.status == status and finished.error is None
    assert chat.conversation.turns[-1].status == status


def test_a_refusal_is_a_delta_of_its_own_kind_and_is_recorded():
    script = [chunk(None, refusal="No, sorry."), chunk(finish="stop")]
    chat = Chat(ScriptedTransport([script]), ChatParams("palmyra-x5"))
    _, events = run(chat, "do it")
    assert [(e.kind, e.text) for e in events if isinstance(e, Delta)] == [("refusal", "No, sorry.")]
    assert chat.conversation.turns[-1].content == "No, sorry."


def test_ctrl_c_in_the_network_keeps_what_arrived_marked_interrupted():
    transport = ScriptedTransport([[chunk("so far"), KeyboardInterrupt()]])
    chat = Chat(transport, ChatParams("palmyra-x5"))
    finished, _ = run(chat, "go")
    assert finished.status == conv.INTERRUPTED and not finished.ok
    assert chat.conversation.turns[-1].content == "so far"
    assert chat.conversation.turns[-1].status == conv.INTERRUPTED


def test_a_reply_cut_short_is_counted_by_estimate_and_said_so():
    question = "tell me everything " * 50  # ~240 tokens sent
    transport = ScriptedTransport([[chunk("x" * 400), KeyboardInterrupt()], reply("fine")])
    chat = Chat(transport, ChatParams("palmyra-x5"))
    finished, _ = run(chat, question)
    usage = finished.reply.usage
    assert usage == {"prompt_tokens": usage["prompt_tokens"], "completion_tokens": 100,
                     "estimated": True}  # fmt: skip
    assert 230 <= usage["prompt_tokens"] <= 260
    assert chat.spend.estimated and chat.spend.completion == 100
    assert chat.spend.said().startswith("~$")
    nothing = Chat(ScriptedTransport([[KeyboardInterrupt()]]), ChatParams("palmyra-x5"))
    run(nothing, "never answered")  # nothing arrived: nothing to count
    assert nothing.spend.prompt == 0 and not nothing.spend.estimated


def test_ctrl_c_in_an_observer_interrupts_the_reply_and_closes_the_request():
    transport = ScriptedTransport([reply("one ", "two ", "three")])
    chat = Chat(transport, ChatParams("palmyra-x5"))

    def renderer(event: Event) -> None:
        if isinstance(event, Delta) and event.text == "two ":
            raise KeyboardInterrupt  # the user pressed Ctrl-C while this piece was drawn

    finished, events = run(chat, "go", renderer)
    assert finished.status == conv.INTERRUPTED
    assert transport.closed == [True]  # the request was closed at once, not read to the end
    assert chat.conversation.turns[-1].content == "one two "
    ended = [e for e in events if isinstance(e, ReplyEnded)]
    assert len(ended) == 1 and ended[0].status == conv.INTERRUPTED


def test_ctrl_c_before_any_reply_withdraws_the_message_and_retry_sends_it():
    chat = Chat(ScriptedTransport([[KeyboardInterrupt()]]), ChatParams("palmyra-x5"))
    finished, events = run(chat, "never mind")
    assert finished.status == conv.INTERRUPTED
    assert chat.conversation.turns == [] and "UserWithdrawn" in kinds(events)
    assert chat.retry() == ("never mind", [])  # /retry sends it again, nothing to take out


def test_retry_notices_from_the_transport_come_before_the_reply():
    notice = Notice("rate limited, retrying in 1 s (1/2)")
    chat = Chat(ScriptedTransport([[notice, *reply("ok")]]), ChatParams("palmyra-x5"))
    _, events = run(chat, "go")
    assert events[2] == notice and isinstance(events[1], RequestSent)


def test_retry_takes_the_last_exchange_out_and_sends_it_again():
    chat = Chat(ScriptedTransport([reply("first answer"), reply("better answer")]), ChatParams("m"))
    run(chat, "question")
    text, removed = chat.retry()
    assert text == "question" and [m.content for m in removed] == ["question", "first answer"]
    run(chat, text)
    assert [t.content for t in chat.conversation.turns] == ["question", "better answer"]


def test_undo_removes_the_last_exchange():
    chat = Chat(ScriptedTransport(), ChatParams("m"))
    run(chat, "one")
    run(chat, "two")
    removed = chat.undo()
    assert [m.content for m in removed] == ["two", "echo"]
    assert [t.content for t in chat.conversation.turns] == ["one", "echo"]
    assert chat.undo() and chat.undo() == []


def test_old_turns_are_left_out_to_fit_the_window_and_it_is_said_once():
    transport = ScriptedTransport()
    chat = Chat(
        transport, ChatParams("m", max_tokens=10), budget=ContextBudget(window_override=100)
    )
    notices = []
    for number in range(6):
        _, events = run(chat, f"question {number} " + "x" * 120)
        notices += [e.text for e in events if isinstance(e, Notice)]
    last = transport.bodies[-1]["messages"]
    assert last[0]["role"] == "user" and last[-1]["content"].startswith("question 5")
    assert len(last) < 2 * 6 - 1  # older turns were left out of the request...
    assert len(chat.conversation.turns) == 12  # ...but not out of the conversation
    assert len(notices) == 1 and notices[0].startswith("context full")


def test_usage_is_counted():
    chat = Chat(ScriptedTransport([[*reply("ok"), usage(40, 45)]]), ChatParams("palmyra-x5"))
    run(chat, "go")
    assert chat.budget.tokens_used == 45 and chat.budget.last_prompt_tokens == 40


def weather(city: str) -> str:
    """The weather in a city."""
    return f"{city}: 21 C"


def explode(reason: str) -> str:
    raise RuntimeError(reason)


def test_function_calls_are_asked_run_and_answered_until_the_model_replies():
    transport = ScriptedTransport(
        [tool_calls(("weather", '{"city": "Paris"}'), ("explode", '{"reason": "no"}')),
         reply("Paris is sunny.")]
    )  # fmt: skip
    asked = []

    def consent(call: Any) -> bool:
        asked.append(call.name)
        return call.name == "weather"

    functions = FunctionBox({"weather": weather, "explode": explode})
    chat = Chat(transport, ChatParams("palmyra-x5"), functions=functions, consent=consent)
    finished, events = run(chat, "weather?")
    assert finished.ok and finished.reply.content == "Paris is sunny."
    assert asked == ["weather", "explode"]
    assert [type(e) for e in events if isinstance(e, ToolAsked | ToolAnswered)] == [
        ToolAsked, ToolAnswered, ToolAsked, ToolAnswered
    ]  # fmt: skip
    assert [t["function"]["name"] for t in transport.bodies[0]["tools"]] == ["weather", "explode"]
    second = transport.bodies[1]["messages"]
    assert second[1]["tool_calls"][0]["function"]["name"] == "weather"
    assert [(m["role"], m["content"]) for m in second[2:]] == [
        ("tool", "Paris: 21 C"),
        ("tool", DECLINED),
    ]
    assert sum(isinstance(e, UserSent) for e in events) == 1  # one user message, two requests


def test_ctrl_c_in_a_function_answers_it_and_the_rest_as_stopped():
    def slow(city: str) -> str:
        raise KeyboardInterrupt  # Ctrl-C while it runs

    transport = ScriptedTransport(
        [tool_calls(("slow", '{"city": "A"}'), ("weather", '{"city": "B"}')), reply("Next.")]
    )
    functions = FunctionBox({"slow": slow, "weather": weather})
    chat = Chat(transport, ChatParams("m"), functions=functions, consent=lambda call: True)
    finished, events = run(chat, "go")
    assert finished.status == conv.INTERRUPTED and len(transport.bodies) == 1
    answers = [e.result for e in events if isinstance(e, ToolAnswered)]
    assert answers == [STOPPED, STOPPED]
    run(chat, "and now?")  # the next request carries an answer for every call
    sent = transport.bodies[1]["messages"]
    calls = [c["id"] for c in sent[1]["tool_calls"]]
    assert [m.get("tool_call_id") for m in sent[2:4]] == calls
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool", "user"]


def test_tool_rounds_are_bounded():
    transport = ScriptedTransport([tool_calls(("weather", '{"city": "X"}')) for _ in range(5)])
    chat = Chat(
        transport,
        ChatParams("m"),
        functions=FunctionBox({"weather": weather}),
        consent=lambda call: True,
        tool_rounds=2,
    )
    _, events = run(chat, "loop")
    assert len(transport.bodies) == 3
    assert [e.text for e in events if isinstance(e, Notice)] == [
        "stopped after 2 rounds of tool calls (see --tool-rounds)"
    ]
    assert events[-2].result == NOT_RUN_ROUNDS  # the last round's call answered, not run
    run(chat, "enough")
    roles = [m["role"] for m in transport.bodies[3]["messages"]]
    assert roles == ["user", *["assistant", "tool"] * 3, "user"]


def test_a_failure_is_an_api_error_for_the_edges_to_word():
    chat = Chat(ScriptedTransport([[ApiError("boom")]]), ChatParams("m"))
    finished, _ = run(chat, "x")
    assert str(finished.error) == "boom"


def test_a_failing_observer_ends_the_reply_and_the_others_see_it_end():
    transport = ScriptedTransport([reply("one ", "two ", "three")])
    chat = Chat(transport, ChatParams("palmyra-x5"))
    seen: list[Event] = []

    def screen(event: Event) -> None:
        if isinstance(event, Delta) and event.text == "two ":
            raise OSError(5, "Input/output error")  # the terminal went away

    with pytest.raises(OSError, match="Input/output error"):
        deliver(chat.send("go"), [screen, seen.append])
    assert transport.closed == [True]
    ended = [e for e in seen if isinstance(e, ReplyEnded)]
    assert [e.status for e in ended] == [conv.INTERRUPTED]  # the journal would save this
    assert isinstance(seen[-1], Finished)
    assert chat.conversation.turns[-1].content == "one two "


def test_a_reply_that_broke_off_goes_back_marked_as_cut_off_never_as_whole():
    transport = ScriptedTransport([[chunk("Ipsum magna ipsum co"), StreamError("reset")]])
    chat = Chat(transport, ChatParams("palmyra-x5"))
    run(chat, "write on")
    run(chat, "and then?")
    sent = transport.bodies[-1]["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "Ipsum magna ipsum co\n\n[this reply was cut off here: it did not finish]",
    }
    assert chat.conversation.turns[1].content == "Ipsum magna ipsum co"  # kept as it came


def test_tool_rounds_count_against_the_cost_cap():
    paid = {"choices": [], "usage": {"prompt_tokens": 100_000, "completion_tokens": 10}}
    transport = ScriptedTransport([[*tool_calls(("weather", '{"city": "X"}')), paid]])
    chat = Chat(
        transport,
        ChatParams("palmyra-x5"),
        functions=FunctionBox({"weather": weather}),
        consent=lambda call: True,
        max_cost=0.08,  # the first request (~$0.006) fits; it then cost $0.06
    )
    _, events = run(chat, "weather?")
    assert len(transport.bodies) == 1  # the second round was not sent
    [notice] = [e.text for e in events if isinstance(e, Notice)]
    assert notice.startswith("stopped before the next round of tool calls:")
    assert "estimated > --max-cost $0.08" in notice
