"""The door (chatbot/door.py) against what should never sink the chat: endless inputs,
FIFOs and devices, commands that print forever, hang or read the key, and Ctrl-C."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from chatbot import debug
from chatbot.inputs import door
from chatbot.inputs.attach import read_path

KEY = "wr-secret-key-0123456789"


class Endless(io.RawIOBase):
    """A pipe that never ends, counting what was taken from it."""

    def __init__(self) -> None:
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        buffer[:] = b"\0" * len(buffer)
        self.taken += len(buffer)
        return len(buffer)


def test_an_endless_pipe_is_read_only_to_one_chunk_past_the_cap():
    endless = Endless()
    with pytest.raises(door.Refused, match="stdin is larger than 1 MB; nothing was sent"):
        door.read_stream(io.BufferedReader(endless), cap=1024 * 1024)
    assert endless.taken <= 1024 * 1024 + 2 * door.CHUNK


def test_dev_zero_a_device_and_a_fifo_are_refused_at_once(tmp_path: Path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # no writer: opening it the usual way would block forever
    for path, kind in ((Path("/dev/zero"), "a device"), (fifo, "a FIFO")):
        with pytest.raises(door.Refused, match=f"not a regular file \\({kind}\\)"):
            door.read_file(path, cap=1024)
    with pytest.raises(door.Refused, match="is a folder"):
        door.read_file(tmp_path, cap=1024)


def test_a_file_over_the_cap_is_refused_and_one_under_it_read_whole(tmp_path: Path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2049)
    with pytest.raises(door.Refused, match="larger than 2 KB"):
        door.read_file(big, cap=2048)
    assert door.read_file(big, cap=4096) == b"x" * 2049


def test_a_symlink_to_dev_zero_is_refused(tmp_path: Path):
    (tmp_path / "cat.png").symlink_to("/dev/zero")
    with pytest.raises(door.Refused, match="not a regular file"):
        door.read_file(tmp_path / "cat.png", cap=1024)


def test_a_folder_holding_a_fifo_skips_it_and_reads_the_rest(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello")
    os.mkfifo(tmp_path / "pipe")
    found = read_path(tmp_path)
    assert [attachment.label for attachment in found] == ["notes.txt"]


def _run(command: str, **options) -> door.Ran:  # type: ignore[no-untyped-def]
    settings = {"environ": dict(os.environ), "cwd": ".", "cap": 200_000, "seconds": 10}
    return door.run_command(command, shell=True, what="/run", **{**settings, **options})


def test_a_command_that_prints_forever_is_stopped_at_the_cap():
    ran = _run("yes")
    assert ran.cut and len(ran.output) == 200_000 and ran.output.startswith(b"y\ny\n")


def test_a_command_that_hangs_is_stopped_at_its_deadline():
    with pytest.raises(door.Refused, match=r"ran longer than 0\.3 s and was stopped"):
        _run("sleep 30", seconds=0.3)  # were it not stopped, it would end with status 0


def test_a_command_never_sees_the_key_and_never_hands_it_on():
    environ = {**os.environ, "WRITER_API_KEY": KEY, "ALSO": KEY}
    debug.remember_secret(KEY)
    try:
        ran = _run("env; echo $WRITER_API_KEY; echo $ALSO", environ=environ)
    finally:
        debug.disable()
    assert KEY not in ran.output.decode()
    assert "WRITER_API_KEY" not in ran.output.decode() and "****" in ran.output.decode()


def test_exit_status_and_stderr_come_back_whole():
    ran = _run("echo out; echo err >&2; exit 3")
    assert ran.status == 3 and not ran.cut and ran.output == b"out\nerr\n"
    apart = _run("echo out; echo err >&2; exit 4", apart=True)
    assert (apart.status, apart.output, apart.errors) == (4, b"out\n", b"err\n")


def test_ctrl_c_stops_the_command_and_is_raised_to_the_caller(tmp_path: Path, ctrl_c_raises):
    marker = tmp_path / "pid"
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        _run(f"echo $$ > {marker}; sleep 30")
    timer.join()
    pid = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the command (its whole session) is gone


def test_sizes_read_as_a_person_reads_them():
    assert [door.size_text(n) for n in (300, 2048, 1536, 8 * 1024 * 1024)] == [
        "300 bytes",
        "2 KB",
        "1.5 KB",
        "8 MB",
    ]


def test_ctrl_c_during_run_in_the_repl_cancels_it_and_the_chat_goes_on(terminal, fake):
    term = terminal()
    term.type("/run sleep 30\r")
    time.sleep(0.3)  # the command is running
    term.ctrl("c")
    term.wait_for("cancelled: /run sleep 30")
    term.say("still here?")
    term.wait_for("You said: still here?")
    assert term.child.isalive()


def test_file_of_a_fifo_in_the_repl_is_one_line_and_the_chat_goes_on(terminal, fake, home):
    os.mkfifo(home / "work" / "pipe")
    term = terminal()
    term.say("/file pipe")
    term.wait_for("pipe is not a regular file (a FIFO)")
    term.say("hello")
    term.wait_for("You said: hello")


def test_graphs_add_of_a_folder_with_a_fifo_names_it_and_sends_the_rest(run_cli, fake, home):
    fake.graphs.add_graph("handbook")
    docs = home / "work" / "docs"
    docs.mkdir()
    (docs / "leave.txt").write_text("twenty days")
    os.mkfifo(docs / "stuck.txt")  # opened the usual way, it would wait for a writer forever
    result = run_cli("graphs", "add", "handbook", "docs", "--no-wait")
    assert "stuck.txt is not a regular file (a FIFO)" in result.stderr
    assert [f.name for f in fake.graphs.files.values()] == ["leave.txt"]
