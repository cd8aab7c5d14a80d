"""`writer-chat graphs …` and `--graph NAME`, through the real program against the fake
server's files and Knowledge Graph endpoints (tests/fake_graphs.py, docs/PROTOCOL.md §8)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_graphs import (
    FILE_LIST_PARAMS,
    GRAPH_FIELDS,
    GRAPH_LIST_PARAMS,
    GRAPH_UPDATE_FIELDS,
)
from tests.fake_server import QUERY_CONFIG_RANGES, FakeWriter, Script
from tests.terminal import Terminal


def _documents(home: Path) -> dict[str, Path]:
    docs, policies = home / "work" / "docs", home / "work" / "policies"
    (policies / "old").mkdir(parents=True)
    docs.mkdir()
    (policies / ".git").mkdir()
    files = {
        "leave.pdf": docs / "leave.pdf",
        "benefits.pdf": docs / "benefits.pdf",
        "travel.md": policies / "travel.md",
        "expenses.docx": policies / "old" / "expenses.docx",
    }
    for name, path in files.items():
        path.write_bytes(f"%PDF {name} ".encode() * 200)
    (policies / "notes.bin").write_bytes(b"\0\1")
    (policies / ".git" / "config").write_text("[core]\n")
    return files


def _check_against_protocol(fake: FakeWriter) -> None:
    """Every request of the new calls carries only the fields PROTOCOL.md §8 lists."""
    for request in fake.requests:
        parts = urlsplit(request.path)
        query = set(parse_qs(parts.query))
        if request.method == "POST" and parts.path == "/v1/graphs":
            assert set(request.body) <= GRAPH_FIELDS and "name" in request.body
        elif request.method == "PUT":
            assert set(request.body) <= GRAPH_UPDATE_FIELDS
        elif request.method == "GET" and parts.path == "/v1/graphs":
            assert query <= GRAPH_LIST_PARAMS
        elif request.method == "GET" and parts.path == "/v1/files":
            assert query <= FILE_LIST_PARAMS
        elif request.method == "POST" and parts.path == "/v1/files":
            assert query == {"graphId"}
            assert request.headers["content-disposition"].startswith('attachment; filename="')
            assert request.body_length == int(request.headers["content-length"]) > 0
        elif request.method == "POST" and parts.path == "/v1/files/retry":
            assert set(request.body) == {"file_ids"}
        elif parts.path == "/v1/chat":
            for tool in request.body.get("tools") or []:
                if tool["type"] == "graph":
                    config = tool["function"].get("query_config") or {}
                    assert set(config) <= {*QUERY_CONFIG_RANGES, "inline_citations"}


def test_chat_with_your_documents_in_three_commands(run_cli, fake, home):
    files = _documents(home)
    created = run_cli("graphs", "create", "handbook", "--description", "HR handbook")
    assert created.code == 0, created.stderr
    [graph_id] = fake.graphs.graphs
    assert created.text.startswith(f"created handbook ({graph_id})\n")

    added = run_cli("graphs", "add", "handbook", "docs/leave.pdf", "docs/benefits.pdf", "policies/")
    assert added.code == 0, added.stderr
    assert added.text == (
        "handbook: 4 files added; 4 completed; 1 file of other types in the folders skipped\n"
    )
    stored = {f.name: f for f in fake.graphs.graph_files(graph_id)}
    assert set(stored) == set(files)
    assert all(f.status() == "completed" for f in stored.values())
    assert stored["leave.pdf"].data == files["leave.pdf"].read_bytes()
    assert stored["leave.pdf"].content_type == "application/pdf"
    assert "uploaded " in added.stderr and "processing:" in added.stderr

    fake.queue(Script(pieces=["You get ", "25 days."], graph_data=_graph_data(stored)))
    asked = run_cli("--graph", "handbook", "how many days of leave do I get?")
    assert asked.code == 0, asked.stderr
    assert asked.text.startswith("You get 25 days.\n\nSources\n1. file ")
    [tool] = fake.chat_requests()[-1].body["tools"]
    assert tool == {"type": "graph", "function": {"graph_ids": [graph_id], "subqueries": False}}
    _check_against_protocol(fake)


def _graph_data(stored) -> dict:
    leave = stored["leave.pdf"]
    return {
        "sources": [{"file_id": leave.id, "snippet": "25 days"}],
        "status": "finished",
        "subqueries": None,
        "references": {"files": [{"fileId": leave.id, "text": "Leave: 25 days.", "page": 2}]},
    }


def test_inline_citations_are_numbered_to_match_the_sources(run_cli, fake, home):
    graph_id = fake.graphs.add_graph("handbook")
    leave, rules = "aaaa1111-0000-4000-8000-000000000001", "bbbb2222-0000-4000-8000-000000000002"
    pieces = ["Leave is 25 days [Leave Pol", f"icy.pdf]({leave[:20]}", f"{leave[20:]}). Rules",
              f" [rules.pdf]({rules}) and again [Leave Policy.pdf]({leave})."]  # fmt: skip
    references = {"files": [{"fileId": leave, "text": "25 days"}, {"fileId": rules, "text": "x"}]}
    fake.queue(Script(pieces=pieces, graph_data={"references": references}))
    result = run_cli("--graph", "handbook", "--inline-citations", "--max-snippets", "12", "q")
    assert result.code == 0, result.stderr
    assert result.text == (
        "Leave is 25 days [1]. Rules [2] and again [1].\n\nSources\n"
        "1. Leave Policy.pdf (aaaa1111): 25 days\n2. rules.pdf (bbbb2222): x\n"
    )
    [tool] = fake.chat_requests()[-1].body["tools"]
    assert tool["function"] == {
        "graph_ids": [graph_id],
        "subqueries": False,
        "query_config": {"inline_citations": True, "max_snippets": 12},
    }


def test_query_settings_come_from_flags_and_the_config_file(run_cli, fake, home):
    graph_id = fake.graphs.add_graph("handbook")
    config = home / "cfg" / "writer-chat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("grounding_level = 0.8\nsearch_weight = 30\n")
    env = {"XDG_CONFIG_HOME": str(home / "cfg")}
    assert run_cli("--graph", graph_id[:6], "--semantic-threshold", "0.4", "q", **env).code == 0
    [tool] = fake.chat_requests()[-1].body["tools"]
    assert tool["function"]["graph_ids"] == [graph_id]
    assert tool["function"]["query_config"] == {
        "grounding_level": 0.8,
        "semantic_threshold": 0.4,
        "search_weight": 30,
    }
    alone = run_cli("--max-snippets", "5", "q")
    assert alone.code == 2 and "--max-snippets goes with --graph" in alone.stderr
    bounded = run_cli("--graph", "handbook", "--max-snippets", "61", "q")
    assert bounded.code == 2 and "61" in bounded.stderr
    _check_against_protocol(fake)


def test_graph_names_that_are_unknown_or_ambiguous_are_one_line(run_cli, fake):
    fake.graphs.add_graph("dup")
    fake.graphs.add_graph("dup")
    fake.graphs.add_graph("handbook")
    for args, said in [
        (("--graph", "dup", "q"), "error: 'dup' could be any of 2 graphs: dup ("),
        (("--graph", "nosuch", "q"), "error: no Knowledge Graph 'nosuch': dup ("),
        (("graphs", "show", "nosuch"), "error: no Knowledge Graph 'nosuch'"),
    ]:
        result = run_cli(*args)
        assert result.code == 2 and said in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert fake.chat_requests() == []


def test_bad_files_are_named_the_rest_goes_and_the_exit_code_says_so(run_cli, fake, home):
    fake.graphs.add_graph("handbook")
    work = home / "work"
    (work / "good.txt").write_text("fine")
    (work / "refused.txt").write_text("REFUSE-UPLOAD")
    (work / "broken.pdf").write_text("FAIL-PROCESSING")
    (work / "empty.txt").write_text("")
    (work / "tool.exe").write_text("MZ")
    names = ["good.txt", "refused.txt", "broken.pdf", "empty.txt", "tool.exe", "missing.pdf"]
    result = run_cli("graphs", "add", "handbook", *names)
    assert result.code == 1
    skipped = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert skipped == [
        "writer-chat: skipped empty.txt: empty",
        "writer-chat: skipped tool.exe: Writer does not take .exe files (PDF, Word, PowerPoint,"
        " Excel, CSV, text, Markdown, HTML, EML, SRT)",
        "writer-chat: skipped missing.pdf: no such file or folder",
        "writer-chat: skipped refused.txt: refused by the server: Unsupported file content in"
        " refused.txt",
    ]
    assert result.text == (
        "handbook: 2 files added; 1 completed; 1 failed processing (broken.pdf; try:"
        " writer-chat graphs retry handbook); 4 could not be sent (said above)\n"
    )
    assert "Traceback" not in result.stderr

    again = run_cli("graphs", "add", "handbook", "good.txt")
    assert again.code == 0 and "1 already in the graph, not sent again" in again.text
    forced = run_cli("graphs", "add", "handbook", "good.txt", "--force", "--no-wait")
    assert forced.code == 0 and forced.text.startswith("handbook: 1 file added; processing")

    retried = run_cli("graphs", "retry", "handbook")
    assert retried.code == 0
    assert (
        retried.text
        == "processing 1 file of handbook again\nhandbook: 1 file processed again; 1 completed\n"
    )
    _check_against_protocol(fake)


def test_ten_thousand_files_list_whole(run_cli, fake):
    graph_id = fake.graphs.add_graph("big")
    fake.graphs.add_files(graph_id, 10_000)
    for number in range(120):
        fake.graphs.add_graph(f"g{number:03d}")
    shown = run_cli("graphs", "show", "big", timeout=120)
    assert shown.code == 0
    lines = shown.text.splitlines()
    assert lines[1] == "10000 files: 10000 completed, 0 in progress, 0 failed"
    assert len(lines) == 2 + 10_000
    assert {line.rsplit(" ", 1)[1] for line in lines[2:]} == {
        f"doc-{n:05d}.txt" for n in range(10_000)
    }
    listed = run_cli("graphs").text.splitlines()
    assert len(listed) == 1 + 121 + 1 and listed[1].startswith("big ")
    pages = [r for r in fake.requests if r.path.startswith("/v1/files?")]
    assert len(pages) == 100  # pages of 100 (the most), each after the last id of the one before
    assert all("limit=100" in r.path for r in pages)
    _check_against_protocol(fake)


def test_rename_remove_and_rm(run_cli, fake, home):
    graph_id = fake.graphs.add_graph("handbook")
    (home / "work" / "a.txt").write_text("a")
    (home / "work" / "b.txt").write_text("b")
    assert run_cli("graphs", "add", "handbook", "a.txt", "b.txt").code == 0
    renamed = run_cli("graphs", "rename", "handbook", "HR handbook")
    assert renamed.code == 0 and fake.graphs.graphs[graph_id].name == "HR handbook"
    removed = run_cli("graphs", "remove", "HR handbook", "a.txt")
    assert removed.text == "removed a.txt from HR handbook\n"
    assert [f.name for f in fake.graphs.graph_files(graph_id)] == ["b.txt"]
    refused = run_cli("graphs", "rm", "HR handbook")
    assert refused.code == 2 and "add --yes" in refused.stderr and graph_id in fake.graphs.graphs
    deleted = run_cli("graphs", "rm", "HR handbook", "--yes")
    assert deleted.code == 0 and fake.graphs.graphs == {}
    _check_against_protocol(fake)


def test_the_upload_progress_on_a_terminal_and_ctrl_c_midway(fake, home):
    fake.graphs.add_graph("handbook")
    fake.graphs.upload_delay = 0.6
    for name in ("one.txt", "two.txt", "three.txt"):
        (home / "work" / name).write_bytes(b"x" * 300_000)
    term = Terminal(
        [WRITER_CHAT, "graphs", "add", "handbook", "one.txt", "two.txt", "three.txt"],
        cli_env(home, fake.url),
        str(home / "work"),
    )
    try:
        term.wait_for("file 2 of 3", timeout=15)
        screen = term.text()
        assert "two.txt" in screen and "/900.0 kB" in screen and "━" in screen  # name, bytes
        term.ctrl("c")
        code = term.wait_exit()
    finally:
        term.close()
    assert code == 130
    text = term.text()
    assert (
        "interrupted: uploaded and attached 1 of 3 files (one.txt); two.txt was on its way and"
        " may have arrived; not uploaded: three.txt" in text.replace("\n", "")
    )
    assert "━" not in text  # the bar is gone once it stopped


def test_attach_and_detach_a_graph_in_the_repl(terminal, fake):
    graph_id = fake.graphs.add_graph("handbook")
    term = terminal()
    term.say("/graph handbook")
    term.wait_for(f"answering from the Knowledge Graph handbook ({graph_id[:8]})")
    term.wait_for("palmyra-x5 · graph handbook · context")  # the toolbar says which graph
    references = {"files": [{"fileId": "aaaa1111-0000-4000-8000-000000000001", "text": "25"}]}
    fake.queue(Script(pieces=["Leave is 25 days."], graph_data={"references": references}))
    term.say("what is the leave policy?")
    lines = term.lines()
    at = lines.index("Sources")  # a heading after a blank line, as a one-shot shows them
    assert lines[at - 1] == "" and lines[at + 1].startswith("1. ")
    [tool] = fake.chat_requests()[-1].body["tools"]
    assert tool["function"]["graph_ids"] == [graph_id]
    term.say("/graph nosuch")
    term.wait_for("no Knowledge Graph 'nosuch': handbook")
    term.say("/graph -")
    term.wait_for("Knowledge Graph detached")
    term.say("and now?")
    deadline = time.monotonic() + 10
    while len(fake.chat_requests()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.chat_requests()[-1].body.get("tools") is None


@pytest.mark.parametrize("name", ["rapport été.pdf", 'quote"d.txt'])
def test_file_names_beyond_ascii_and_quotes_arrive_whole(run_cli, fake, home, name):
    graph_id = fake.graphs.add_graph("handbook")
    (home / "work" / name).write_text("content")
    assert run_cli("graphs", "add", "handbook", name).code == 0
    [stored] = fake.graphs.graph_files(graph_id)
    assert stored.name == name


def test_names_no_header_can_hold_are_sent_safely_and_the_rest_still_go(run_cli, fake, home):
    import os

    graph_id = fake.graphs.add_graph("handbook")
    work = home / "work"
    odd = ["esc\x1b[2Jname.txt", "line\nbreak.txt", os.fsdecode(b"caf\xe9.txt")]
    for name in [*odd, "plain.txt"]:
        (work / os.fsencode(name).decode("utf-8", "surrogateescape")).write_text("content")
    result = run_cli("graphs", "add", "handbook", *odd, "plain.txt")
    assert result.code == 0, result.stderr
    stored = sorted(f.name for f in fake.graphs.graph_files(graph_id))
    assert stored == sorted(["esc_[2Jname.txt", "line_break.txt", "caf_.txt", "plain.txt"])
    assert result.stderr.count("is sent as") == 3 and "\x1b" not in result.stderr


def test_a_file_the_server_refuses_is_never_also_reported_uploaded(run_cli, fake, home):
    fake.graphs.add_graph("handbook")
    (home / "work" / "bad.txt").write_text("REFUSE-UPLOAD")
    (home / "work" / "good.txt").write_text("fine")
    result = run_cli("graphs", "add", "handbook", "bad.txt", "good.txt")
    assert result.code == 1
    assert "refused by the server" in result.stderr and "uploaded bad.txt" not in result.stderr
    assert "uploaded good.txt" in result.stderr


def test_force_replaces_the_file_of_that_name_and_the_list_shows_whole_dates(run_cli, fake, home):
    graph_id = fake.graphs.add_graph("handbook")
    (home / "work" / "a.txt").write_text("first")
    assert run_cli("graphs", "add", "handbook", "a.txt").code == 0
    (home / "work" / "a.txt").write_text("second")
    forced = run_cli("graphs", "add", "handbook", "a.txt", "--force")
    assert forced.code == 0 and "replaced 1 file of the same name" in forced.stderr
    [only] = fake.graphs.graph_files(graph_id)
    assert only.name == "a.txt" and only.data == b"second"
    assert run_cli("graphs", "remove", "handbook", "a.txt").code == 0  # one file of that name
    listed = run_cli("graphs").text
    assert "…" not in listed and re.search(r"\d{4}-\d{2}-\d{2}$", listed.splitlines()[1])


def test_the_graphs_list_as_json_for_scripts(run_cli, fake):
    graph_id = fake.graphs.add_graph("handbook")
    [listed] = __import__("json").loads(run_cli("graphs", "--json").text)
    assert listed["id"] == graph_id and listed["name"] == "handbook"


def test_a_broken_link_in_a_folder_is_named_among_the_skipped(run_cli, fake, home):
    graph_id = fake.graphs.add_graph("handbook")
    folder = home / "work" / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("fine")
    (folder / "gone.txt").symlink_to(home / "nowhere.txt")
    result = run_cli("graphs", "add", "handbook", "docs")
    assert result.code == 1 and "gone.txt: no such file" in result.stderr
    assert [f.name for f in fake.graphs.graph_files(graph_id)] == ["good.txt"]
