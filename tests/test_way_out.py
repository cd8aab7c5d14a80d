"""One way out: the key is cut out of everything that leaves (the reply, tool results, the
trace, logs), whatever hides inside it; every process writer-chat starts ends with it; and what
it reads back (a spool, a server's log or answer) is capped."""

from __future__ import annotations

import io
import itertools
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.redaction import Redactor, url_shown
from chatbot.tools.mcp_log import ServerLog, tail
from tests.fake_server import TEST_KEY, Script
from tests.test_mcp_chat import FAULT_SERVER, FAULTS_CONFIG, write_config

KEY = "sk-live-0123456789abcdef"

# the redactor itself


def test_a_key_split_by_invisible_characters_is_cut_whole():
    redactor = Redactor([KEY])
    for hidden in ("\u200b", "\u00ad", "\u2060", "\ufeff", "\u202e", "\n", "\x1b", "\U000e0041"):
        split = KEY[:5] + hidden + KEY[5:12] + hidden + hidden + KEY[12:]
        assert redactor.text(f"key: {split}.") == "key: ****.", repr(hidden)
    assert redactor.text(f"un{KEY}x and {KEY}-2") == f"un{KEY}x and {KEY}-2"  # not whole tokens


def test_a_short_key_is_cut_only_where_it_stands_alone():
    redactor = Redactor(["k"])
    assert redactor.text("unknown k, k-ey") == "unknown ****, k-ey"


def _streamed(redactor: Redactor, pieces: list[str]) -> str:
    cut = redactor.stream()
    return "".join(cut.feed(piece) for piece in pieces) + cut.flush()


@given(
    st.lists(st.integers(min_value=0, max_value=60), max_size=6), st.sampled_from(["", "\u200b"])
)
def test_a_key_split_across_pieces_is_cut_wherever_the_split_falls(cuts, hidden):
    redactor = Redactor([KEY])
    text = f"see {KEY[:7]}{hidden}{KEY[7:]} and unknown {KEY}s, k then {KEY}"
    bounds = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
    assert _streamed(redactor, pieces) == redactor.text(text)
    assert _streamed(redactor, pieces).count("****") == 2  # not the key that ends in "s"


def test_what_cannot_be_a_key_is_let_out_at_once():
    cut = Redactor([KEY]).stream()
    assert cut.feed("hello wor") == "hello wor"  # nothing held: it cannot start a key
    assert cut.feed("ld sk-li") == "ld "  # held: it may be the key's beginning
    assert cut.feed("ly") == "sk-lily"


def test_a_trace_shows_no_password_nor_query_of_an_address():
    redactor = Redactor()
    line = "Connecting to http://alice:PW@127.0.0.1:9/mcp?api_key=SECRET now"
    assert redactor.trace(line) == "Connecting to http://alice:****@127.0.0.1:9/mcp?… now"
    assert url_shown("https://h/x?token=1") == "https://h/x?…"
    assert redactor.trace("Authorization: Bearer abc, MY_KEY=zzz") == (
        "Authorization: Bearer ****, MY_KEY=****"
    )


# the reply and tool results


def _history_bytes(home: Path) -> bytes:
    folder = home / "data" / "writer-chat"
    return b"".join(path.read_bytes() for path in folder.glob("history.db*"))


@pytest.mark.parametrize("on_terminal", [False, True])
def test_a_reply_that_echoes_the_key_shows_and_saves_it_cut(run_cli, fake, home, on_terminal):
    # a server that echoes the Authorization header back, split across pieces
    fake.queue(Script(pieces=["your header: Bearer te", "st-", "k", "ey\u200b.", " Done."]))
    result = run_cli("what did I send?", on_terminal=on_terminal)
    assert result.code == 0, result.stderr
    assert "test-key" not in result.text and "****" in result.text and "Done." in result.text
    assert b"test-key" not in _history_bytes(home)
    fake.queue(Script(pieces=["ok"]))
    assert run_cli("-c", "and?").code == 0
    sent_back = json.dumps(fake.chat_requests()[-1].messages)
    assert "test-key" not in sent_back and "Bearer ****" in sent_back


def test_a_key_pasted_into_a_message_is_not_sent(run_cli, fake):
    result = run_cli("is test-key my key?")
    assert result.code == 0, result.stderr
    assert fake.chat_requests()[-1].messages[-1]["content"] == "is **** my key?"


def test_a_function_result_with_the_key_split_by_a_zero_width_space_is_cut(run_cli, fake, home):
    leaky = home / "work" / "leaky.py"
    leaky.write_text('def whoami() -> str:\n    """Tell."""\n    return "key: test\u200b-key"\n')
    fake.queue(Script(pieces=[], tool_calls=[("whoami", "{}")]), Script(pieces=["ok"]))
    result = run_cli("--functions", str(leaky), "--yes", "who?")
    assert result.code == 0, result.stderr
    (answer,) = [m for m in fake.chat_requests()[1].messages if m["role"] == "tool"]
    assert answer["content"] == "key: ****"
    assert "test" not in (result.stderr + result.text).replace("\u200b", "").replace("who", "")


# the --debug trace


def test_the_trace_redacts_the_sdks_own_records_and_a_servers_address(run_cli, fake, home):
    far = '[mcp_servers.far]\nurl = "http://alice:PW@127.0.0.1:9/mcp?api_key=QUERYSECRET"\n'
    write_config(home, FAULTS_CONFIG.replace(
        f"args = [{json.dumps(FAULT_SERVER)}]",
        f"args = [{json.dumps(FAULT_SERVER)}, \"--key-on-stdout\"]",
    ) + "\n" + far)  # fmt: skip
    fake.queue(Script(pieces=["ok"]))
    result = run_cli("--debug", "--mcp", "faults", "--mcp", "far", "hi")
    assert result.code == 0, result.stderr
    assert "not JSON-RPC" in result.stderr or "starting with" in result.stderr  # it was traced
    for secret in (TEST_KEY, "PW", "QUERYSECRET"):
        assert secret not in result.stderr, secret
    assert "http://alice:****@127.0.0.1:9/mcp" in result.stderr


# processes


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] == "Z"  # a zombie has ended
    except OSError:
        return True


def test_an_mcp_server_that_ignores_sigterm_and_forks_ends_with_writer_chat(run_cli, fake, home):
    pids = home / "pids"
    write_config(home, FAULTS_CONFIG.replace(
        f"args = [{json.dumps(FAULT_SERVER)}]",
        f"args = [{json.dumps(FAULT_SERVER)}, \"--stubborn\", {json.dumps(str(pids))}]",
    ))  # fmt: skip
    fake.queue(Script(pieces=["ok"]))
    result = run_cli("--mcp", "faults", "hi", process=True)
    assert result.code == 0, result.stderr
    server, child = map(int, pids.read_text().split())
    deadline = time.monotonic() + 5
    while not (_gone(server) and _gone(child)) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [pid for pid in (server, child) if not _gone(pid)]
    for pid in survivors:
        os.kill(pid, 9)
    assert survivors == []


# what is read back


def test_a_servers_stderr_log_is_capped_and_rotated(tmp_path):
    import subprocess

    log = ServerLog(tmp_path / "noisy.log", Redactor(), cap=1024 * 1024)
    code = "import sys\nfor _ in range(20 * 1024):\n    sys.stderr.write('x' * 1023 + '\\n')\n"
    subprocess.run([sys.executable, "-c", code], stderr=log.writer, check=True)
    log.started()
    log._thread.join(10)
    sizes = [path.stat().st_size for path in tmp_path.glob("noisy.log*")]
    assert len(sizes) == 2 and max(sizes) <= 1024 * 1024 + 64 * 1024  # 20 MB written
    assert tail(tmp_path / "noisy.log", 3).splitlines() == ["x" * 1023] * 3


def test_a_servers_log_has_the_key_cut_out(tmp_path):
    log = ServerLog(tmp_path / "s.log", Redactor([KEY]))
    log.writer.write(f"token {KEY[:9]}")
    log.writer.flush()
    time.sleep(0.05)
    log.writer.write(f"{KEY[9:]} end\n")
    log.close()
    log._thread.join(10)
    assert (tmp_path / "s.log").read_text() == "token **** end\n"


class _EndlessAnswer(BaseHTTPRequestHandler):
    """An MCP endpoint whose JSON answer never ends (64 MB, then it gives up)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        try:
            self.wfile.write(b'{"jsonrpc": "2.0", "id": 0, "result": {"x": "')
            for _ in range(64):
                self.wfile.write(b"x" * (1024 * 1024))
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


def test_an_endless_http_mcp_answer_is_cut_at_its_cap(run_cli, fake, home):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EndlessAnswer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        write_config(home, f'[mcp_servers.endless]\nurl = "http://127.0.0.1:{port}/mcp"\n')
        fake.queue(Script(pieces=["ok"]))
        result = run_cli("--mcp", "endless", "hi")
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 0, result.stderr
    assert "MCP server endless" in result.stderr and "larger than 16 MB" in result.stderr


def test_whatever_writes_to_the_history_the_key_is_not_stored(tmp_path):
    """The database's connection cleans every text bound into a statement, whichever method
    wrote it (a title, a message, its update, a renamed conversation), and the spool too."""
    import sqlite3

    from chatbot.store.database import Store
    from chatbot.store.spool import write_spool

    redactor = Redactor([TEST_KEY])
    hidden = TEST_KEY[:5] + "\u200b" + TEST_KEY[5:]
    store = Store(tmp_path / "history.db", clean=redactor.text)
    cid = store.new_conversation("palmyra-x5", f"system {TEST_KEY}")
    row = store.add_message(cid, "user", f"my key is {TEST_KEY}", "complete")
    reply = store.add_message(cid, "assistant", "", "streaming")
    store.update_message(reply, f"it is {hidden}!", "complete")
    store.rename(cid, f"title {TEST_KEY}")
    store.close()
    spooled = write_spool(tmp_path, [{"id": cid, "title": f"t {hidden}"}], redactor.text)

    raw = sqlite3.connect(tmp_path / "history.db")
    texts = [" ".join(map(str, r)) for r in raw.execute("SELECT * FROM messages")]
    texts += [" ".join(map(str, r)) for r in raw.execute("SELECT * FROM conversations")]
    raw.close()
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert row and any("my key is ****" in t for t in texts) and "it is ****!" in " ".join(texts)
    assert not any(TEST_KEY in t or hidden in t for t in texts)
    assert spooled.exists() and TEST_KEY.encode() not in files and hidden.encode() not in files


def test_a_fifo_a_device_link_and_a_bad_file_in_the_spool_folder_stop_nothing(run_cli, fake, home):
    folder = home / "data" / "writer-chat"
    assert run_cli("first").code == 0  # the history exists
    good = {"conversations": [{"id": None, "model": "palmyra-x5", "system": None, "messages": [
        {"role": "user", "content": "spooled words", "status": "complete"}]}]}  # fmt: skip
    os.mkfifo(folder / "unsaved-1-fifo.json")
    (folder / "unsaved-2-zero.json").symlink_to("/dev/zero")
    (folder / "unsaved-3-bad.json").write_text('{"conversations": [{"messages": [{}]}]}')
    (folder / "unsaved-4-good.json").write_text(json.dumps(good))
    result = run_cli("second", timeout=20)
    assert result.code == 0, result.stderr
    assert "spooled words" in run_cli("history", "search", "spooled").text
    left = sorted(path.name for path in folder.glob("unsaved-*"))
    assert left == ["unsaved-1-fifo.json", "unsaved-2-zero.json", "unsaved-3-bad.json"]
    run_cli("third")  # replayed once: never twice
    found = [c for c in json.loads(run_cli("history", "--json").text) if "spooled" in str(c)]
    assert len(found) == 1


def _env(tmp_path: Path, **environ: str):
    from chatbot.env import Env

    base = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/bin:/usr/bin"}
    return Env(None, io.StringIO(), io.StringIO(), {**base, **environ}, str(tmp_path))


def test_an_editor_that_leaves_a_device_in_place_of_the_text_is_refused(tmp_path):
    from chatbot.capped import Refused
    from chatbot.terminal.editor import edit_text

    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nrm -f "$1"\nln -s /dev/zero "$1"\n')
    editor.chmod(0o755)
    with pytest.raises(Refused, match="not a regular"):
        edit_text("draft", _env(tmp_path, EDITOR=str(editor)))


def test_a_fifo_as_the_input_history_costs_the_history_not_the_start(tmp_path):
    from rich.console import Console

    from chatbot.terminal.repl import _input_history

    folder = tmp_path / "data" / "writer-chat"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "input_history")
    out = io.StringIO()
    said = Console(file=out, width=200)
    history = _input_history(_env(tmp_path), said)
    assert list(history.load_history_strings()) == []
    assert "kept for this session only" in out.getvalue()
