"""What a person sees at every moment while a reply streams: the real program in a
pseudo-terminal, its output fed to a screen one read at a time, each screen checked."""

from __future__ import annotations

import time

from tests.conftest import WRITER_CHAT, cli_env
from tests.fake_server import Script
from tests.terminal import Terminal


def frames_until_exit(term: Terminal, timeout: float = 15) -> list[list[str]]:
    """The screen after every read until the program ends."""
    seen: list[list[str]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if term.read_once():
            seen.append(list(term.screen.display))
        elif not term.child.isalive():
            break
    return seen


def test_the_waiting_line_moves_while_the_server_thinks(fake, home):
    fake.queue(Script(pieces=["Done."], first_byte_delay=2.5))
    term = Terminal([WRITER_CHAT, "question"], cli_env(home, fake.url), str(home / "work"))
    try:
        frames = frames_until_exit(term)
    finally:
        term.close()
    waiting = {row.strip() for frame in frames for row in frame if "waiting for the reply" in row}
    assert len(waiting) >= 3, waiting  # the spinner's frame changed at least three times
    assert "Done." in "\n".join(frames[-1])
