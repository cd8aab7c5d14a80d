"""Writer's tools through the real binary: what is sent (docs/PROTOCOL.md shapes) and what is
shown."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import Script
from tests.terminal import Terminal

GRAPH_DATA = {
    "sources": [{"file_id": "f-1", "snippet": "Refunds within 30 days."}],
    "status": "finished",
    "subqueries": [
        {"query": "refund window?", "answer": "30 days", "sources": []},
        {"query": "who approves?", "answer": "finance", "sources": []},
    ],
    "references": {
        "files": [
            {
                "fileId": "file-abc",
                "score": 0.9,
                "text": "Refunds are accepted within 30 days.",
                "page": 4,
            },
            {"fileId": "file-def", "score": 0.7, "text": "Finance approves refunds."},
        ],
        "web": [],
    },
}

TOOLS_PY = '''
def get_weather(city: str, unit: str = "C") -> str:
    """Current weather for a city.

    Longer notes that are not part of the description.
    """
    return f"{city}: 21 {unit}, sunny"


def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(reason)


def _private() -> None:
    pass
'''


@pytest.fixture
def tools_file(home: Path) -> Path:
    path = home / "work" / "tools.py"
    path.write_text(TOOLS_PY)
    return path


def test_models_lists_ids_and_names(run_cli, fake):
    result = run_cli("models")
    assert result.code == 0
    lines = result.text.splitlines()
    assert lines[0].split() == ["id", "name"]
    assert any(line.split()[0] == "palmyra-x5" and line.endswith("Palmyra X5") for line in lines)
    assert fake.requests[-1].path == "/v1/models"


def test_graph_sends_the_tool_and_lists_sources(run_cli, fake):
    fake.queue(Script(pieces=["Refunds take ", "30 days."], graph_data=GRAPH_DATA))
    first, second = fake.graphs.add_graph("g-1"), fake.graphs.add_graph("g-2")
    result = run_cli("--graph", "g-1", "--graph", second, "--graph-subqueries", "refunds?")
    assert result.code == 0, result.stderr
    assert fake.chat_requests()[0].body["tools"] == [
        {"type": "graph", "function": {"graph_ids": [first, second], "subqueries": True}}
    ]
    assert result.text == (
        "Refunds take 30 days.\n\nSources\n"
        "1. file file-abc, page 4: Refunds are accepted within 30 days.\n"
        "2. file file-def: Finance approves refunds.\n"
        "Subqueries: refund window? · who approves?\n"
    )


def test_json_output_includes_graph_data(run_cli, fake):
    fake.queue(Script(pieces=["ok"], graph_data=GRAPH_DATA))
    fake.graphs.add_graph("g-1")
    result = run_cli("--graph", "g-1", "--json", "refunds?")
    document = json.loads(result.text)
    message = document["choices"][0]["message"]
    assert message["content"] == "ok" and document["object"] == "chat.completion"
    assert message["graph_data"]["references"]["files"][0]["fileId"] == "file-abc"
    assert document["usage"]["total_tokens"] > 0


def test_web_search_sends_domains_and_lists_urls_in_full(run_cli, fake):
    url = "https://docs.python.org/3/library/tomllib.html#tomllib.load"
    fake.queue(Script(pieces=["Use tomllib."], web_search_data={"sources": [{"url": url}]}))
    result = run_cli(
        "--web-search", "--include-domain", "python.org", "--exclude-domain", "example.com", "toml?"
    )
    assert fake.chat_requests()[0].body["tools"] == [
        {
            "type": "web_search",
            "function": {"include_domains": ["python.org"], "exclude_domains": ["example.com"]},
        }
    ]
    assert result.text.endswith(f"Sources\n1. {url}\n")


def test_a_graph_and_web_search_in_one_turn_the_search_as_a_function(run_cli, fake):
    graph = fake.graphs.add_graph("handbook")
    fake.queue(
        Script(pieces=[], tool_calls=[("web_search", '{"query": "tomllib", "topic": "news"}')]),
        Script(pieces=["Refunds take 30 days; tomllib reads TOML."], graph_data=GRAPH_DATA),
    )
    result = run_cli(
        "--graph", "handbook", "--web-search", "--include-domain", "python.org", "refunds, toml?"
    )
    assert result.code == 0, result.stderr
    first, second = fake.chat_requests()
    graph_tool, search = first.body["tools"]
    assert graph_tool == {"type": "graph", "function": {"graph_ids": [graph], "subqueries": False}}
    assert search["type"] == "function" and search["function"]["name"] == "web_search"
    (searched,) = [r for r in fake.requests if r.path == "/v1/tools/web-search"]
    assert searched.body == {
        "query": "tomllib",
        "topic": "news",
        "include_raw_content": "text",
        "include_domains": ["python.org"],
    }
    (answer,) = [m for m in second.messages if m["role"] == "tool"]
    pages = json.loads(answer["content"])["pages"]
    assert [page["url"] for page in pages] == [
        "https://docs.python.org/3/library/tomllib.html",
        "https://peps.python.org/pep-0680/",
    ]
    assert pages[1]["text"] == "PEP 680: tomllib"
    assert second.body["tools"] == first.body["tools"]
    sources = result.text.split("Sources\n")[1]
    assert "file-abc" in sources  # the graph's, as before
    assert "2. https://docs.python.org/3/library/tomllib.html\n" not in sources
    assert "https://docs.python.org/3/library/tomllib.html" in sources
    assert "https://peps.python.org/pep-0680/" in sources
    assert run_cli("--include-domain", "a.com", "x").code == 2


def test_a_web_search_that_fails_goes_back_to_the_model_as_an_error(run_cli, fake):
    fake.graphs.add_graph("handbook")
    fake.queue(
        Script(pieces=[], tool_calls=[("web_search", '{"query": ""}')]),
        Script(pieces=[], tool_calls=[("web_search", '{"query": "x"}')]),
        Script(pieces=["I could not search."]),
    )
    fake.web_search_status = 503
    result = run_cli("--graph", "handbook", "--web-search", "x")
    assert result.code == 0, result.stderr
    requests = fake.chat_requests()
    assert [m for m in requests[1].messages if m["role"] == "tool"][-1]["content"] == (
        "Error: give a query to search for"
    )
    failed = [m for m in requests[2].messages if m["role"] == "tool"][-1]["content"]
    assert failed.startswith("Error: the web search failed (") and "503" in failed
    assert "Sources" not in result.text


def test_function_tools_run_and_the_loop_continues(run_cli, fake, tools_file):
    fake.queue(
        Script(
            pieces=[],
            tool_calls=[
                ("get_weather", '{"city": "Paris"}'),
                ("get_weather", '{"city": "Oslo", "unit": "F"}'),
            ],
        ),
        Script(pieces=["Sunny in both."]),
    )
    result = run_cli("--functions", str(tools_file), "--yes", "weather?")
    assert result.code == 0, result.stderr
    assert result.text == "Sunny in both.\n"
    first, second = fake.chat_requests()
    assert first.body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
                    "required": ["city"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "explode",
                "description": "Always fails.",
                "parameters": {
                    "type": "object",
                    "properties": {"reason": {"type": "string"}},
                    "required": ["reason"],
                },
            },
        },
    ]
    (
        user,
        assistant,
        paris,
        oslo,
    ) = second.messages
    assert user == {"role": "user", "content": "weather?"}
    assert assistant["role"] == "assistant" and assistant["content"] == "\n"
    calls = assistant["tool_calls"]
    assert [c["function"] for c in calls] == [
        {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        {"name": "get_weather", "arguments": '{"city": "Oslo", "unit": "F"}'},
    ]
    assert (paris["role"], paris["tool_call_id"], paris["content"]) == (
        "tool",
        calls[0]["id"],
        "Paris: 21 C, sunny",
    )
    assert (oslo["tool_call_id"], oslo["content"]) == (calls[1]["id"], "Oslo: 21 F, sunny")
    assert 'tool call: get_weather, 1 argument:\nwriter-chat:   "city": "Paris"' in result.stderr


def test_without_a_terminal_or_yes_calls_are_refused(run_cli, fake, tools_file):
    fake.queue(
        Script(pieces=[], tool_calls=[("get_weather", '{"city": "Paris"}')]),
        Script(pieces=["I could not check."]),
    )
    result = run_cli("--functions", str(tools_file), "weather?")
    assert result.code == 0
    assert "not running get_weather: no terminal to ask on (use --yes to allow)" in result.stderr
    assert fake.chat_requests()[1].messages[-1]["content"].startswith("Not run")


def test_a_function_that_raises_sends_its_error_back(run_cli, fake, tools_file):
    fake.queue(
        Script(pieces=[], tool_calls=[("explode", '{"reason": "no fuel"}')]),
        Script(pieces=["Sorry."]),
    )
    result = run_cli("--functions", str(tools_file), "-y", "go")
    assert result.code == 0
    assert fake.chat_requests()[1].messages[-1]["content"] == "Error: ValueError: no fuel"


def test_tool_rounds_bound_the_loop(run_cli, fake, tools_file):
    call = Script(pieces=[], tool_calls=[("get_weather", '{"city": "Rome"}')])
    fake.queue(call, call, call)
    result = run_cli("--functions", str(tools_file), "-y", "--tool-rounds", "1", "loop")
    assert result.code == 0
    assert len(fake.chat_requests()) == 2
    assert "stopped after 1 round of tool calls" in result.stderr


def test_json_schema_sends_response_format_and_checks_the_reply(run_cli, fake):
    schema = '{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}'
    fake.queue(Script(pieces=['{"name": ', '"Ada"}']))
    result = run_cli("--json-schema", schema, "who?")
    assert result.code == 0, result.stderr
    assert result.text == '{"name": "Ada"}\n'
    assert fake.chat_requests()[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": json.loads(schema)},
    }
    fake.queue(Script(pieces=['{"nom": "Ada"}']))
    bad = run_cli("--json-schema", schema, "who?")
    assert bad.code == 1 and "does not match the schema" in bad.stderr and "'name'" in bad.stderr
    fake.queue(Script(pieces=["not json"]))
    assert run_cli("--json-schema", schema, "who?").code == 1


def test_json_schema_from_a_file_and_model_checks(run_cli, fake, home):
    (home / "work" / "s.json").write_text('{"type": "array"}')
    fake.queue(Script(pieces=["[1, 2]"]))
    assert run_cli("--json-schema", "s.json", "-m", "palmyra-x4", "list").text == "[1, 2]\n"
    assert run_cli("--json-schema", "s.json", "-m", "palmyra-fin", "x").code == 2
    assert run_cli("--json-schema", "{not json", "x").code == 2


def test_images_are_sent_as_content_parts(run_cli, fake, home):
    png = home / "work" / "dot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    url = "https://example.com/cat.jpg"
    result = run_cli("--image", "dot.png", "--image", url, "describe")
    assert result.code == 0, result.stderr
    content = fake.chat_requests()[0].messages[-1]["content"]
    encoded = base64.b64encode(png.read_bytes()).decode()
    assert content == [
        {"type": "text", "text": "describe"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{encoded}"}},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    wrong = run_cli("-m", "palmyra-x4", "--image", "dot.png", "x")
    assert wrong.code == 2 and "--image needs palmyra-x5" in wrong.stderr


def test_n_other_than_one_is_refused(run_cli, fake):
    result = run_cli("--n", "2", "x")
    assert result.code == 2 and "only 1 is supported" in result.stderr


def weather_question(fake, home: Path, tools_file: Path) -> Terminal:
    """The REPL with the tools file, asked "weather?", at the question about get_weather."""
    env = cli_env(home, fake.url)
    term = Terminal([WRITER_CHAT, "--functions", str(tools_file)], env, str(home / "work"))
    try:
        term.wait_for_prompt(1)
        term.type("weather?\r")
        term.wait_for("run get_weather? [y/N/a=always]")
    except BaseException:
        term.close()
        raise
    return term


def test_the_repl_asks_before_running_a_function(fake, home, tools_file):
    fake.queue(
        Script(
            pieces=[],
            tool_calls=[("get_weather", '{"city": "Paris"}'), ("explode", '{"reason": "x"}')],
        ),
        Script(pieces=["Paris is sunny."]),
    )
    term = weather_question(fake, home, tools_file)
    try:
        assert 'tool call: get_weather, 1 argument:\n  "city": "Paris"' in term.text()
        term.type("y\r")
        term.wait_for("run explode? [y/N/a=always]")
        term.type("\r")  # the default is no
        term.wait_for("Paris is sunny.")
    finally:
        term.close()
    tool_messages = [m for m in fake.chat_requests()[1].messages if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == [
        "Paris: 21 C, sunny",
        "Not run: the user did not allow this call.",
    ]


def test_slash_models_lists_and_feeds_model_completion(fake, home):
    term = Terminal([WRITER_CHAT], cli_env(home, fake.url), str(home / "work"))
    try:
        term.wait_for_prompt(1)
        term.type("/models\r")
        term.wait_for("Palmyra Creative")
        term.wait_for_prompt(2)
        term.type("/model palmyra-cr\t")
        term.wait_for("/model palmyra-creative")
    finally:
        term.close()


def test_a_turn_stopped_at_its_rounds_can_be_continued(run_cli, fake, tools_file):
    call = Script(pieces=[], tool_calls=[("get_weather", '{"city": "Rome"}')])
    fake.queue(call, call)
    result = run_cli("--functions", str(tools_file), "--yes", "--tool-rounds", "1", "weather?")
    assert result.code == 0 and "stopped after 1 round of tool calls" in result.stderr
    fake.queue(Script(pieces=["Fine."]))
    again = run_cli("-c", "never mind")  # the fake refuses a call left without its answer
    assert again.code == 0, again.stderr
    tool_messages = [m for m in fake.chat_requests()[-1].messages if m["role"] == "tool"]
    assert tool_messages[-1]["content"] == (
        "Not run: this turn reached its limit of rounds of tool calls."
    )


def test_the_key_a_function_returns_is_cut_out_before_it_is_sent_or_shown(run_cli, fake, home):
    leaky = home / "work" / "leaky.py"
    leaky.write_text('def whoami() -> str:\n    """Tell."""\n    return "key: test-key"\n')
    fake.queue(Script(pieces=[], tool_calls=[("whoami", "{}")]), Script(pieces=["ok"]))
    result = run_cli("--functions", str(leaky), "--yes", "who?")
    assert result.code == 0, result.stderr
    (answer,) = [m for m in fake.chat_requests()[1].messages if m["role"] == "tool"]
    assert answer["content"] == "key: ****"
    assert "test-key" not in result.stderr


def test_the_question_shows_every_argument_whole(fake, home, tools_file):
    """A long first argument never hides a second one: nothing is cut, nothing folded."""
    path = "/very/long/" + "x" * 300 + "/file  with   runs   of spaces"
    arguments = json.dumps({"city": path, "then": "DELETE-EVERYTHING", "note": "a\nb\u200bc"})
    fake.queue(Script(pieces=[], tool_calls=[("get_weather", arguments)]), Script(pieces=["ok"]))
    term = weather_question(fake, home, tools_file)
    try:
        shown = "".join(term.lines())  # the long line wraps: join the rows back
        term.type("n\r")
        term.wait_for("ok")
    finally:
        term.close()
    assert json.dumps(path) in shown  # whole, its runs of spaces kept
    assert '"then": "DELETE-EVERYTHING"' in shown
    assert '"note": "a\\nb\\u200bc"' in shown  # a line break and an invisible one, shown


def test_ctrl_c_at_the_question_stops_the_turn_and_sends_nothing_more(fake, home, tools_file):
    fake.queue(
        Script(pieces=[], tool_calls=[("get_weather", '{"city": "Paris"}')]),
        Script(pieces=["should never be asked for"]),
    )
    term = weather_question(fake, home, tools_file)
    try:
        term.ctrl("c")
        term.wait_for_prompt(2)
        term.say("and now?")  # the conversation goes on: the call has its answer (stopped)
    finally:
        term.close()
    requests = fake.chat_requests()
    assert len(requests) == 2 and requests[1].messages[-1]["content"] == "and now?"
    [answer] = [m for m in requests[1].messages if m["role"] == "tool"]
    assert answer["content"] == "Not finished: the user stopped this call (Ctrl-C)."
