"""Attachments mid-chat: /file (files, folders, web pages), /image and /run add to the next
message in the REPL, the toolbar says what is attached, and the message carries it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chatbot.inputs.attach import html_text

PAGE = b"""<html><head><title>Release notes</title><style>p {color: red}</style></head>
<body><script>alert("no")</script><h1>Version 2</h1><p>Faster &amp; smaller.</p>
<ul><li>one</li><li>two</li></ul></body></html>"""


def test_html_is_reduced_to_its_words():
    assert html_text(PAGE.decode()) == "Release notes\nVersion 2\nFaster & smaller.\none\ntwo"


@pytest.fixture
def web_page() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = (PAGE, "text/html; charset=utf-8")
            if self.path == "/file.pdf":
                body, kind = (b"%PDF-1.7", "application/pdf")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _folder(home: Path) -> Path:
    project = home / "work" / "project"
    (project / "src").mkdir(parents=True)
    (project / ".git").mkdir()
    (project / "README.md").write_text("# Project\n")
    (project / "src" / "main.py").write_text("print('hi')\n")
    (project / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return project


def test_file_of_a_folder_goes_with_the_next_message(terminal, fake, home):
    _folder(home)
    term = terminal()
    term.say("/file project")
    term.wait_for("attached README.md (10 bytes, ~")
    assert "2 attachments go with your next message" in " ".join(term.text().split())
    term.wait_for("attached: 2 texts, ~")  # the toolbar: what the next message sends
    assert re.search(r"attached: 2 texts, ~\d+ tokens ≈ \$0\.0\d+ · /help", term.text())
    term.say("what does it do?")
    sent = fake.chat_requests()[-1].messages[-1]["content"]
    assert sent == (
        "what does it do?\n\nREADME.md:\n```\n# Project\n```\n\nsrc/main.py:\n```\nprint('hi')\n```"
    )
    term.say("and now?")
    assert fake.chat_requests()[-1].messages[-1]["content"] == "and now?"  # sent once


def test_a_web_page_an_image_and_a_command(terminal, fake, home, web_page):
    (home / "work" / "dot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    term = terminal()
    term.say(f"/file {web_page}/notes")
    term.wait_for(f"attached {web_page}/notes (")
    term.say(f"/file {web_page}/file.pdf")
    term.wait_for("not text (application/pdf)")
    term.say("/image dot.png")
    term.wait_for("attached image dot.png")
    term.say("/run echo from the shell")
    term.wait_for("attached $ echo from the shell (")
    term.wait_for("attached: 2 texts, 1 image")
    term.say("summarise")
    [text_part, image_part] = fake.chat_requests()[-1].messages[-1]["content"]
    assert text_part["text"] == (
        f"summarise\n\n{web_page}/notes:\n```\nRelease notes\nVersion 2\nFaster & smaller.\none"
        "\ntwo\n```\n\n$ echo from the shell:\n```\nfrom the shell\n```"
    )
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,")


def test_dropping_and_listing_attachments(terminal, fake, home):
    (home / "work" / "a.txt").write_text("alpha")
    term = terminal()
    term.say("/file a.txt")
    term.say("/file")
    term.wait_for("attached: a.txt")
    term.say("/file -")
    term.wait_for("dropped 1 attachment")
    term.say("/file missing.txt")
    term.wait_for("missing.txt: no such file or folder")
    term.say("plain")
    assert fake.chat_requests()[-1].messages[-1]["content"] == "plain"
