"""Nothing that comes in can sink the chat: a decoder fed numbers past Python's digit limit,
stream lines without end, pages that trickle or name a codec that is not a text encoding.
Each is one line and an exit code (or one line in the REPL), never a traceback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chatbot.api.web import fetch_text
from chatbot.errors import UsageError
from tests.conftest import memory_env
from tests.fake_server import Script

HUGE_NUMBER = "9" * 5000  # Python refuses to read an int of more than 4,300 digits


def _event(chunk: str) -> bytes:
    return f"data: {chunk}\n\n".encode()


def test_a_number_past_the_digit_limit_is_a_stream_error_and_the_partial_reply_is_kept(
    run_cli, fake, home
):
    start = '{"choices":[{"index":0,"delta":{"content":"kept so far"}}]}'
    fake.queue(Script(raw_sse=_event(start) + _event('{"choices":[],"n":' + HUGE_NUMBER + "}")))
    result = run_cli("go")
    assert result.code == 1 and result.text.startswith("kept so far")
    assert "malformed data from the server" in result.stderr
    assert "ValueError" not in result.stderr and "unexpected" not in result.stderr
    shown = run_cli("history", "show", run_cli("history").text.split()[0]).text
    assert "kept so far" in shown and "failed" in shown  # marked, not left "incomplete"


def test_a_stream_line_without_end_is_refused_as_it_arrives(run_cli, fake):
    fake.queue(Script(raw_sse=b"data: " + b"x" * (5 * 1024 * 1024)))  # no newline, ever
    result = run_cli("go")
    assert result.code == 1
    assert "a line of the stream longer than 4 MB" in result.stderr


@pytest.fixture
def page_server() -> Iterator[Callable[[bytes, str, float], str]]:
    """A web server whose one page is ``body`` of ``kind``, sent a byte every ``pause`` s."""
    served: dict[str, tuple[bytes, str, float]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind, pause = served["page"]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                if pause:
                    time.sleep(pause)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(body: bytes, kind: str, pause: float = 0.0) -> str:
        served["page"] = (body, kind, pause)
        return f"http://127.0.0.1:{server.server_address[1]}/page"

    yield serve
    server.shutdown()


@pytest.mark.parametrize("charset", ["rot13", "base64", "no-such-codec"])
def test_a_page_whose_charset_is_no_text_encoding_is_read_as_utf8(page_server, charset):
    url = page_server("Grüße".encode(), f"text/plain; charset={charset}")
    text, kind, size = fetch_text(url, proxy=None, environ={}, timeout=5, limit=1024)
    assert (text, kind, size) == ("Grüße", "text/plain", len("Grüße".encode()))


def test_a_page_that_trickles_stops_at_its_deadline(page_server):
    url = page_server(b"x" * 100, "text/plain", pause=0.05)  # 5 s for the whole page
    with pytest.raises(UsageError, match=r"the page took over 0\.5 s; not attached"):
        fetch_text(
            url, proxy=None, environ={}, timeout=5, limit=1024, seconds=0.5
        )  # it would arrive whole


def test_function_arguments_with_a_huge_number_are_an_error_sent_back(tmp_path):
    from chatbot.tools.functions_file import FunctionBox

    source = tmp_path / "tools.py"
    source.write_text("def add(a: int, b: int) -> int:\n    return a + b\n")
    box = FunctionBox.load(source)
    answer = box.run("add", '{"a": ' + HUGE_NUMBER + ', "b": 1}')
    assert answer.startswith("Error: the arguments are not JSON")


# History that replays hostile text: sanitised on a terminal, exact to a file or a pipe.

HOSTILE = "osc52 \x1b]52;c;ZXZpbA==\x07 clear \x1b[2J csi \x9b6n bidi \u202eevil"


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_history_export_on_a_terminal_shows_no_control_character(run_cli, fake, home, fmt):
    fake.queue(Script(pieces=[HOSTILE]))
    run_cli("go")
    cid = run_cli("history").text.split()[0]
    shown = run_cli("history", "export", cid, "--format", fmt, on_terminal=True).text
    assert not any(c in shown for c in "\x1b\x07\x9b\u202e")
    assert "osc52" in shown and "evil" in shown
    exact = run_cli("history", "export", cid, "--format", fmt).text  # to a pipe: as saved
    assert ("\x1b]52;c;ZXZpbA==\x07" in exact) if fmt == "md" else ("\\u001b]52" in exact)


def test_a_model_name_in_the_history_list_is_one_safe_line(tmp_path):
    from chatbot.store.database import Store
    from chatbot.store.history import listing

    store = Store(tmp_path / "h.db")
    cid = store.new_conversation("evil\x1b[2J\nmodel", None)
    store.add_message(cid, "user", "hi", "complete")
    [line] = listing(store.conversations())
    assert "\x1b" not in line and "\n" not in line and "evil" in line


# Secrets through side doors.


@pytest.mark.parametrize(
    ("flag", "variable"),
    [
        ("alice:SECRETPW@127.0.0.1:1", None),  # no scheme: httpx printed it whole
        (None, "alice:SECRETPW@127.0.0.1:1"),
        (None, "socks4://alice:SECRETPW@127.0.0.1:1"),  # a scheme httpx does not take
        (None, "::::"),
        (None, "http://alice:SECRETPW@[::1"),
    ],
)
def test_a_malformed_proxy_is_a_usage_error_with_its_password_hidden(run_cli, fake, flag, variable):
    args = ("--proxy", flag) if flag else ()
    result = run_cli(*args, "hi", **({"HTTP_PROXY": variable} if variable else {}))
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "is not a proxy URL" in result.stderr and "SECRETPW" not in result.stderr
    assert "unexpected" not in result.stderr and fake.chat_requests() == []


def test_a_malformed_proxy_for_a_web_page_is_one_line_in_the_repl_too(fake, home):
    from chatbot.inputs.attach import Attacher

    with pytest.raises(UsageError, match="is not a proxy URL") as refused:
        Attacher("bob:HUNTER2@127.0.0.1:9", 5, memory_env())("file", "http://127.0.0.1:1/page")
    assert "HUNTER2" not in str(refused.value) and "bob:****@" in str(refused.value)


@pytest.mark.parametrize(
    ("key", "text", "shown"),
    [
        ("k", "unknown model k: Pick another", "unknown model ****: Pick another"),
        ("test", "unknown model 'test-model'", "unknown model 'test-model'"),
        ("test", "Bearer test", "Bearer ****"),
        ("wr-0123456789abcdef", "key=wr-0123456789abcdef&x", "key=****&x"),
    ],
)
def test_the_key_is_hidden_where_it_stands_whole_and_nowhere_else(key, text, shown):
    from chatbot import debug

    debug.remember_secret(key)
    try:
        assert debug.redact_secrets(text) == shown
    finally:
        debug.disable()


def test_the_key_in_a_piped_file_is_cut_out_before_it_is_sent_or_saved(run_cli, fake, home):
    from tests.conftest import TEST_KEY

    (home / "work" / "env.txt").write_text(f"WRITER_API_KEY={TEST_KEY}\nOTHER=1\n")
    result = run_cli("-f", "env.txt", "what is set?")
    assert result.code == 0 and "the API key was in the message" in result.stderr
    sent = fake.chat_requests()[-1].messages[-1]["content"]
    assert TEST_KEY not in sent and "WRITER_API_KEY=****" in sent and "OTHER=1" in sent
    assert TEST_KEY not in run_cli("history", "export", run_cli("history").text.split()[0]).text


def test_the_key_in_a_file_or_a_commands_output_is_cut_out_and_said(tmp_path):
    from chatbot import debug
    from chatbot.inputs.attach import read_path, run_command

    debug.remember_secret("wr-secret-key-123456")
    try:
        (tmp_path / "notes.txt").write_text("token wr-secret-key-123456 here\n")
        [file] = read_path(tmp_path / "notes.txt")
        ran = run_command("echo the key is wr-secret-key-123456", memory_env(cwd=tmp_path))
    finally:
        debug.disable()
    for attachment in (file, ran):
        assert "wr-secret-key-123456" not in attachment.text and "****" in attachment.text
        assert attachment.label.endswith("(the API key was in it: cut out)")


def test_a_command_that_leaves_a_child_holding_its_output_is_not_waited_for():
    from chatbot.inputs import door

    ran = door.run_command(
        "echo the-key; sleep 30 &",  # the background sleep keeps stdout open
        shell=True, environ={"PATH": "/usr/bin:/bin"}, cwd="/", cap=1024, seconds=10,
        what="api_key_command", key_source=True,
    )  # fmt: skip
    assert ran.status == 0 and ran.output == b"the-key\n"


def test_a_key_command_that_prints_only_to_stderr_names_the_command(run_cli, fake, home):
    path = home / ".config" / "writer-chat" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("api_key_command = \"sh -c 'echo locked >&2'\"\n")
    result = run_cli("hi", WRITER_API_KEY=None)
    assert result.code == 2 and "api_key_command (sh -c" in result.stderr
    assert "printed no key; it said: locked" in result.stderr and ".env" not in result.stderr


# Odd values and files: a usage error (exit 2, one line), never "unexpected error".


@pytest.mark.parametrize(
    ("args", "environment", "said"),
    [
        (("--encoding", "rot13", "-f", "note.txt", "hi"), {}, "unknown encoding 'rot13'"),
        (("--encoding", "base64", "-f", "note.txt", "hi"), {}, "unknown encoding 'base64'"),
        (("--base-url", "http://[::1", "hi"), {}, "invalid base URL 'http://[::1'"),
        (("hi",), {"WRITER_BASE_URL": "http://[::1"}, "invalid base URL 'http://[::1'"),
        (("hi",), {"WRITER_API_KEY": None, "PYTHON_KEYRING_BACKEND": "bad.Mod"},
         "check PYTHON_KEYRING_BACKEND"),
    ],
)  # fmt: skip
def test_odd_values_are_usage_errors(run_cli, fake, home, args, environment, said):
    (home / "work" / "note.txt").write_text("a note\n")
    # keyring reads the process's environment: that case runs as its own process
    result = run_cli(*args, process="PYTHON_KEYRING_BACKEND" in environment, **environment)
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert said in result.stderr and "unexpected" not in result.stderr
    assert fake.chat_requests() == []


def test_a_cap_past_any_machine_is_no_cap_and_no_crash(run_cli, fake):
    result = run_cli("--max-input", "99999999999999999999999", stdin=b"piped text")
    assert result.code == 0 and result.stderr == ""
    assert fake.chat_requests()[-1].messages[-1]["content"] == "piped text"


@pytest.mark.parametrize("kind", ["folder", "fifo", "dev-zero", "broken-link"])
def test_a_config_file_that_is_no_file_is_named_not_ignored(run_cli, fake, home, kind):
    import os

    path = home / ".config" / "writer-chat" / "config.toml"
    path.parent.mkdir(parents=True)
    {
        "folder": lambda: path.mkdir(),
        "fifo": lambda: os.mkfifo(path),
        "dev-zero": lambda: path.symlink_to("/dev/zero"),
        "broken-link": lambda: path.symlink_to(home / "gone.toml"),
    }[kind]()
    result = run_cli("hi")
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert str(path) in result.stderr and fake.chat_requests() == []


def test_a_reply_that_is_only_a_call_of_a_function_never_offered_is_one_line(run_cli, fake):
    fake.queue(Script(pieces=[], tool_calls=[("rm_rf", '{"path": "/"}')]))
    result = run_cli("hello")
    assert result.code == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "asked to run rm_rf, but no functions were offered" in result.stderr
    assert result.text == ""


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "is an image, not text: attach it with --image"),
        (b"ELF\0\x01\x02 valid utf-8 with NUL and \x07 bells", "is a binary file, not text"),
    ],
)
def test_a_binary_file_or_piped_blob_is_refused_in_one_line(run_cli, fake, home, content, said):
    (home / "work" / "blob.bin").write_bytes(content)
    as_file = run_cli("-f", "blob.bin", "what is this?")
    piped = run_cli("what is this?", stdin=content)
    for result in (as_file, piped):
        assert result.code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
        assert said in result.stderr
    assert fake.chat_requests() == []


def test_an_image_error_in_the_chat_names_slash_image(tmp_path):
    from chatbot.inputs.attach import Attacher

    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(UsageError, match=r"^/image .*notes.txt: not an image file"):
        Attacher(None, 5, memory_env())("image", str(tmp_path / "notes.txt"))
