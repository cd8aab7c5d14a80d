"""What replies cost: from the usage the server reports and a price table per model (Writer's
list prices, the config's [prices] over them), in /usage, the toolbar and the history."""

from __future__ import annotations

import pytest

from chatbot.engine.prices import LIST_PRICES, Spend, cost, dollars, tokens
from tests.fake_server import Script
from tests.test_settings import config_with

TURN = {"prompt_tokens": 120_000, "completion_tokens": 30_000, "total_tokens": 150_000}
# palmyra-x5 at $0.60 in and $6.00 out per million tokens: 0.072 + 0.18
X5_TURN = 0.252


def test_cost_is_tokens_times_the_price_per_million():
    assert cost("palmyra-x5", 120_000, 30_000, LIST_PRICES) == pytest.approx(X5_TURN)
    assert cost("palmyra-x4", 1_000_000, 0, LIST_PRICES) == pytest.approx(2.50)
    assert cost("someone-else", 10, 10, LIST_PRICES) is None
    assert [dollars(2.5), dollars(0.252), dollars(0.000042), dollars(None)] == [
        "$2.50",
        "$0.2520",
        "$0.000042",
        "$?",
    ]
    assert tokens({"prompt_tokens": "12", "completion_tokens": -1}) == (0, 0)


def test_a_session_adds_up_and_an_unknown_price_makes_the_sum_unknown():
    spend = Spend(dict(LIST_PRICES))
    spend.record("palmyra-x5", TURN)
    spend.record("palmyra-x5", TURN)
    assert (spend.prompt, spend.completion) == (240_000, 60_000)
    assert spend.dollars == pytest.approx(2 * X5_TURN)
    assert spend.last == (120_000, 30_000, pytest.approx(X5_TURN))
    spend.record("palmyra-x99", TURN)
    assert spend.dollars is None and spend.last[2] is None


def test_history_cost_per_conversation_and_in_all(run_cli, fake):
    fake.queue(Script(pieces=["one"], usage=TURN), Script(pieces=["two"], usage=TURN))
    assert run_cli("first question").code == 0
    assert run_cli("-c", "second question").code == 0
    fake.queue(Script(pieces=["x4"], usage=TURN))
    assert run_cli("-m", "palmyra-x4", "another conversation").code == 0
    lines = run_cli("history", "--cost").text.splitlines()
    assert "$0.6000" in lines[0] and "another conversation" in lines[0]  # x4: 0.30 + 0.30
    assert "$0.5040" in lines[1] and "first question" in lines[1]  # two x5 turns
    assert lines[2] == "total of these 2: $1.10"
    conversation = lines[1][:8]
    shown = run_cli("history", "show", conversation).text
    assert shown.rstrip().endswith("*240,000 tokens in, 60,000 out: $0.5040*")


def test_a_model_with_no_known_price_leaves_the_rest_of_the_total_said(run_cli, fake):
    fake.queue(Script(pieces=["one"], usage=TURN), Script(pieces=["two"], usage=TURN))
    assert run_cli("priced question").code == 0
    for n in range(2):
        fake.queue(Script(pieces=["?"], usage=TURN))
        assert run_cli("-m", "palmyra-creative", f"unpriced {n}").code == 0
    lines = run_cli("history", "--cost").text.splitlines()
    assert lines[-1] == "total of these 3: $0.2520 + 2 conversations of models with no known price"


def test_the_config_s_prices_replace_the_list_price(run_cli, fake, home):
    env = config_with(home, "[prices]\npalmyra-x5 = [1, 10]\n")
    fake.queue(Script(pieces=["one"], usage=TURN))
    assert run_cli("q", **env).code == 0
    assert "$0.4200" in run_cli("history", "--cost", **env).text  # 0.12 + 0.30
    bad = config_with(home, '[prices]\npalmyra-x5 = "cheap"\n')
    result = run_cli("q", **bad)
    assert result.code == 2 and "the price of 'palmyra-x5'" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_usage_and_the_toolbar_show_the_cost(terminal, fake):
    fake.queue(Script(pieces=["A reply."], usage=TURN), Script(pieces=["More."], usage=TURN))
    term = terminal()
    term.say("hello")
    term.wait_for("$0.2520 · /help")  # the toolbar
    term.type("and again\r")  # the server counted 120k tokens last time: over $0.10, asked
    term.wait_for("this message sends ~408,000 tokens ≈ $0.2508; send? [y/N]")
    term.say("y")
    term.wait_for("More.")
    term.say("/usage")
    term.wait_for("this session: 240,000 tokens in, 60,000 out, $0.5040")
    assert "last reply:   120,000 tokens in, 30,000 out, $0.2520" in term.text()
    assert "palmyra-x5: $0.60 in, $6.00 out per million tokens" in term.text()


def test_no_to_the_cost_question_sends_nothing_and_gives_the_message_back(terminal, fake):
    fake.queue(Script(pieces=["A reply."], usage=TURN))
    term = terminal()
    term.say("hello")
    term.type("an expensive question\r")
    term.wait_for("send? [y/N]")
    term.type("n\r")
    term.wait_for("not sent: the message is back in the prompt")
    term.wait_until(
        lambda: sum(line == "> an expensive question" for line in term.lines()) >= 2,
        "the message back in the prompt",
    )
    assert len(fake.chat_requests()) == 1


def test_max_cost_refuses_before_anything_is_sent_and_a_cheap_request_passes(run_cli, fake):
    result = run_cli("--max-cost", "0.0001", "--max-tokens", "4000", "a question")
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "estimated > --max-cost $0.0001" in result.stderr and fake.chat_requests() == []
    assert run_cli("history").text.strip() == "no saved conversations yet"
    assert run_cli("--max-cost", "0.05", "a question").code == 0  # about $0.006: sent


def test_a_cap_with_no_price_known_is_refused(run_cli, fake):
    result = run_cli("--max-cost", "1", "-m", "palmyra-x9", "hi")
    assert result.code == 2 and "no price is known for palmyra-x9" in result.stderr
    assert fake.chat_requests() == []


def test_the_estimate_is_close_to_what_the_server_counts(fake):
    from chatbot.api.client import WriterClient
    from chatbot.api.retry import RetryPolicy
    from chatbot.engine.chat import Chat, deliver
    from chatbot.engine.request import ChatParams
    from tests.fake_server import TEST_KEY

    client = WriterClient(TEST_KEY, fake.url, 10, retry=RetryPolicy(retries=0), environ={})
    chat = Chat(client, ChatParams("palmyra-x5"))
    folder = "\n".join(f"# file {n}\n" + "def f(x):\n    return x * 2\n" * 40 for n in range(30))
    try:  # a folder's worth of text, then a conversation growing turn by turn
        for text in [folder, *(f"question {n}: " + "why? " * 300 for n in range(5))]:
            expected = chat.estimate(text).prompt
            finished = deliver(chat.send(text), [])
            reported = finished.reply.usage["prompt_tokens"]
            assert abs(expected - reported) / reported < 0.15, (expected, reported)
    finally:
        client.close()


def test_the_estimate_counts_the_tools_offered(fake):
    # An MCP server's tools can outweigh the conversation: their definitions are sent, and paid
    from chatbot.api.client import WriterClient
    from chatbot.api.retry import RetryPolicy
    from chatbot.engine.chat import Chat, deliver
    from chatbot.engine.request import ChatParams
    from chatbot.engine.tools import ToolSet
    from chatbot.tools.functions_file import FunctionBox
    from tests.fake_server import TEST_KEY

    def lookup(term: str) -> str:
        return term

    lookup.__doc__ = "Look a term up in the glossary. " * 400  # a 13 KB description
    client = WriterClient(TEST_KEY, fake.url, 10, retry=RetryPolicy(retries=0), environ={})
    chat = Chat(
        client, ChatParams("palmyra-x5"), functions=ToolSet([FunctionBox({"lookup": lookup})])
    )
    try:
        bare = chat.estimate("hi").prompt  # nothing offered yet: no tools counted
        finished = deliver(chat.send("hi"), [])
        reported = finished.reply.usage["prompt_tokens"]
        assert reported > 3_000  # the fake counts the definitions, as the API does
        assert bare < 20
        for text in ("and again", "once more " * 50):
            expected = chat.estimate(text).prompt  # the tools of the last request, counted
            reported = deliver(chat.send(text), []).reply.usage["prompt_tokens"]
            assert abs(expected - reported) / reported < 0.15, (expected, reported)
    finally:
        client.close()
