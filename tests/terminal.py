"""Drive the real ``writer-chat`` on a terminal and read the screen as a person would.

Two terminals with one interface. ``MemoryTerminal`` (the default for ``writer-chat``) runs the
program in this process, on a thread, with an Env whose terminal is in memory: the keys go
through prompt_toolkit's pipe input, everything printed comes back one write at a time. It is
the same code path as the console script, without a process start per test.
``PtyTerminal`` (``pty=True``, or any other program) gives a real process a real PTY, for what
only a terminal and a process have: Ctrl-C as SIGINT from the line discipline mid-reply,
signals, Ctrl-Z, a resize, the tty's own echo. ``WRITER_CHAT_TESTS_PTY=1`` runs every test on
the pseudo-terminal. Both replay every byte into a pyte screen (100x30, with scrollback).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import io
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pyte

COLS, ROWS = 100, 30


def default_signals() -> None:
    """In the child: Ctrl-C and the terminal's signals as a person's shell gives them, even
    when the suite itself was started with them ignored (a background job: ``pytest &``)."""
    for which in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(which, signal.SIG_DFL)


class _Scrollback:
    """The lines that scrolled off the top of the screen, oldest first (at most ``size``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.top: collections.deque[Any] = collections.deque(maxlen=size)


class ScrollbackScreen(pyte.Screen):
    """A screen with scrollback, as a terminal window has (``history.top``, oldest first).

    pyte's HistoryScreen keeps scrollback too, but wraps every event for paging these tests
    never do: half the time of the screen tests went there."""

    def __init__(self, columns: int, lines: int, history: int) -> None:
        self.history = _Scrollback(history)
        super().__init__(columns, lines)

    def index(self) -> None:
        top, bottom = self.margins or pyte.screens.Margins(0, self.lines - 1)
        if self.cursor.y == bottom:
            self.history.top.append(self.buffer[top])
        super().index()

    def reset(self) -> None:
        super().reset()
        self.history.top.clear()

    def erase_in_display(self, how: int = 0, *args: Any, **kwargs: Any) -> None:
        super().erase_in_display(how, *args, **kwargs)
        if how == 3:  # the terminal's scrollback too
            self.history.top.clear()


class _AnsweringScreen(ScrollbackScreen):
    """A screen that answers the terminal's reports (cursor position) back to the program, as
    a real terminal does; prompt_toolkit needs that to lay out its bottom toolbar."""

    reply_to: Any = None  # what the terminal's answers are sent to (its ``send(text)``)

    def write_process_input(self, data: str) -> None:
        if self.reply_to is not None:
            self.reply_to.send(data)


class _Screen:
    """What both terminals share: the pyte screen, and waiting for what it shows."""

    cols: int
    rows: int
    screen: _AnsweringScreen
    _raw: bytearray

    def _setup_screen(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.screen = _AnsweringScreen(cols, rows, history=5000)
        self.screen.set_mode(pyte.modes.LNM)
        self._stream = pyte.ByteStream(self.screen)
        self._raw = bytearray()  # every byte the program printed
        self._rows: dict[int, tuple[Any, str]] = {}  # scrollback lines already made text

    def _feed(self, data: bytes) -> None:
        self._raw += data
        self._stream.feed(data)

    @property
    def raw(self) -> bytes:
        return bytes(self._raw)

    def _read(self, wait: float) -> bytes | None:
        raise NotImplementedError

    def pump(self, wait: float = 0.05) -> None:
        """Read whatever the program printed (waiting up to ``wait`` seconds for the first
        byte)."""
        while True:
            data = self._read(wait)
            if data is None:
                return
            self._feed(data)
            wait = 0.01

    def read_once(self, wait: float = 0.05) -> bool:
        """Feed one read of the program's output to the screen; False when there was none.

        Checking the screen after each read sees every state a person could have seen."""
        data = self._read(wait)
        if data is None:
            return False
        self._feed(data)
        return True

    def lines(self) -> list[str]:
        """Scrollback then screen, right-trimmed."""
        return [
            *map(self._scrolled_off, self.screen.history.top),
            *map(str.rstrip, self.screen.display),
        ]

    def _scrolled_off(self, row: Any) -> str:
        """A line of the scrollback as text: made once, as a line never changes once it has
        left the screen (checking the screen after every read stays linear)."""
        known = self._rows.get(id(row))
        if known is None or known[0] is not row:
            known = (row, "".join(row[x].data for x in range(self.cols)).rstrip())
            if len(self._rows) > 4 * self.screen.history.size:
                self._rows.clear()
            self._rows[id(row)] = known
        return known[1]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if check():
                return
        raise AssertionError(f"timed out waiting for {what}; screen:\n{self.text()}")

    def wait_for(self, text: str, timeout: float = 10) -> None:
        self.wait_until(lambda: text in self.text(), repr(text), timeout)

    def prompts(self) -> int:
        """How many input prompts have been drawn (submitted ones stay on screen)."""
        return sum(1 for line in self.lines() if line.startswith("> ") or line == ">")

    def wait_for_prompt(self, count: int, timeout: float = 10) -> None:
        self.wait_until(lambda: self.prompts() >= count, f"prompt #{count}", timeout)

    def say(self, line: str, timeout: float = 10) -> None:
        """Type ``line`` and Enter, and wait until the next prompt is drawn (the turn is over)."""
        prompts = self.prompts()
        self.type(line + "\r")
        self.wait_for_prompt(prompts + 1, timeout)

    def type(self, keys: str) -> None:
        raise NotImplementedError

    def ctrl(self, letter: str) -> None:
        self.type(chr(ord(letter.lower()) - ord("a") + 1))


class PtyTerminal(_Screen):
    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: str,
        *,
        answer_reports: bool = True,
        cols: int = COLS,
        rows: int = ROWS,
    ) -> None:
        env = {**env, "TERM": "xterm-256color"}
        if not answer_reports:
            env["PROMPT_TOOLKIT_NO_CPR"] = "1"
        env.pop("PYTHONUNBUFFERED", None)
        self._setup_screen(cols, rows)
        self.child = pexpect.spawn(
            argv[0],
            argv[1:],
            env=env,
            cwd=cwd,
            dimensions=(rows, cols),
            timeout=10,
            preexec_fn=default_signals,
        )
        # pexpect's defaults sleep 50 ms before every send and 100 ms after close and between
        # the signals of terminate: seconds a suite, for a person-speed that tests need not fake
        self.child.delaybeforesend = None
        self.child.delayafterclose = 0
        self.child.delayafterterminate = 0.02
        if answer_reports:
            self.screen.reply_to = self.child

    def _read(self, wait: float) -> bytes | None:
        try:
            return self.child.read_nonblocking(65536, timeout=wait)
        except (pexpect.TIMEOUT, pexpect.EOF):
            return None

    def type(self, keys: str) -> None:
        self.child.send(keys)

    def ctrl(self, letter: str) -> None:
        self.child.sendcontrol(letter)

    def wait_exit(self, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < deadline:
            self.pump()
        self.pump()
        assert not self.child.isalive(), f"process still running; screen:\n{self.text()}"
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else -1

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


class _ScreenSide:
    """The memory terminal's output: every write the program makes is one read for the test
    (a pseudo-terminal may merge writes; this never does, so every frame is seen)."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self) -> None:
        self.writes: queue.SimpleQueue[bytes] = queue.SimpleQueue()

    def write(self, text: str) -> int:
        if text:
            self.writes.put(text.encode("utf-8", "replace"))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        raise io.UnsupportedOperation("a terminal in memory has no file descriptor")


class _Keys:
    """prompt_toolkit's pipe input, and whether a prompt is reading it: a person's Ctrl-C is a
    key at a prompt (raw mode) and SIGINT anywhere else (the line discipline)."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        from prompt_toolkit.input import create_pipe_input

        self.input = stack.enter_context(create_pipe_input())
        self.raw = 0
        original = self.input.raw_mode

        @contextlib.contextmanager
        def counted() -> Any:
            self.raw += 1
            try:
                with original():
                    yield
            finally:
                self.raw -= 1

        self.input.raw_mode = counted  # type: ignore[method-assign]

    def send(self, text: str) -> None:
        self.input.send_text(text)


class _Run:
    """The program's run, as the ``child`` of a pseudo-terminal is seen by the tests."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.exitstatus: int | None = None
        self.failure: BaseException | None = None

    def isalive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class MemoryTerminal(_Screen):
    """``writer-chat ARGS`` run in this process on a terminal in memory (see the module)."""

    def __init__(
        self,
        args: list[str],
        environ: dict[str, str],
        cwd: str,
        *,
        answer_reports: bool = True,
        cols: int = COLS,
        rows: int = ROWS,
    ) -> None:
        from prompt_toolkit.data_structures import Size
        from prompt_toolkit.output.vt100 import Vt100_Output

        from chatbot.cli import main
        from chatbot.env import Env

        self._setup_screen(cols, rows)
        self._stack = contextlib.ExitStack()
        self._keys = _Keys(self._stack)
        self._out = _ScreenSide()
        screen = Vt100_Output(
            self._out,  # type: ignore[arg-type]
            lambda: Size(rows=rows, columns=cols),
            term="xterm-256color",
            enable_cpr=answer_reports,
        )
        if answer_reports:
            self.screen.reply_to = self._keys
        environ = {**environ, "TERM": "xterm-256color"}
        environ.pop("PYTHONUNBUFFERED", None)
        env = Env(
            None,
            self._out,  # type: ignore[arg-type]
            self._out,  # type: ignore[arg-type]
            environ,
            cwd,
            stdin_isatty=True,
            stdout_isatty=True,
            stderr_isatty=True,
            terminal_size=(cols, rows),
            prompt_io=(self._keys.input, screen),
        )
        self.child = _Run()
        self._finished = False
        self._started_in = os.getcwd()
        os.chdir(cwd)  # relative paths the user types are the OS's to resolve, as in the program

        def run() -> None:
            try:
                self.child.exitstatus = main.run(list(args), env)
            except BaseException as failure:  # the test sees it, not a thread's traceback
                self.child.failure = failure
                self.child.exitstatus = -1

        self.child.thread = threading.Thread(target=run, name="writer-chat-in-memory")
        self.child.thread.daemon = True
        self.child.thread.start()

    def _read(self, wait: float) -> bytes | None:
        try:
            return self._out.writes.get(timeout=wait)
        except queue.Empty:
            return None

    def type(self, keys: str) -> None:
        """Send ``keys`` as typed at once (a paste arrives so too); Ctrl-C outside a prompt is
        the line discipline's SIGINT."""
        for number, chunk in enumerate(keys.split("\x03")):
            if number and not self._keys.raw:
                self._interrupt()
            elif number:
                self._keys.send("\x03")
            if chunk:
                self._keys.send(chunk)

    def _interrupt(self) -> None:
        """Ctrl-C outside a prompt: KeyboardInterrupt in the program, as SIGINT raises it in
        the main thread (delivered at its next Python instruction, not inside a blocking
        read: a test that needs that uses the pseudo-terminal)."""
        thread = self.child.thread
        if thread is None or thread.ident is None or not thread.is_alive():
            return
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(KeyboardInterrupt)
        )

    def wait_exit(self, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < deadline:
            self.pump()
        self.pump()
        assert not self.child.isalive(), f"program still running; screen:\n{self.text()}"
        self._finish()
        if self.child.failure is not None:
            raise AssertionError("the program raised") from self.child.failure
        return self.child.exitstatus if self.child.exitstatus is not None else -1

    def _settle(self, seconds: float) -> None:
        """Read what the program prints for up to ``seconds``, or until it has ended."""
        end = time.monotonic() + seconds
        while self.child.isalive() and time.monotonic() < end:
            self.pump(0.01)

    def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            os.chdir(self._started_in)
            self._stack.close()

    def close(self) -> None:
        """End the run as a person would (Ctrl-C to clear the line or stop a reply, Ctrl-D at
        the empty prompt) and wait."""
        deadline = time.monotonic() + 10
        while self.child.isalive() and time.monotonic() < deadline:
            for key in ("\x03", "\x04"):
                self.type(key)
                self._settle(0.1)  # reading the screen answers its cursor reports meanwhile
        if self.child.isalive():
            raise AssertionError(f"program did not end; screen:\n{self.text()}")
        if self.child.thread is not None:
            self._finish()


PTY_ONLY = os.environ.get("WRITER_CHAT_TESTS_PTY") == "1"


def Terminal(
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    *,
    pty: bool = False,
    answer_reports: bool = True,
    cols: int = COLS,
    rows: int = ROWS,
) -> PtyTerminal | MemoryTerminal:
    """``argv`` on a terminal: in memory when it is ``writer-chat`` and no pseudo-terminal is
    asked for (``pty=True``: signals, Ctrl-Z, resize, the tty's echo), else a real one."""
    if pty or PTY_ONLY or Path(argv[0]).name != "writer-chat":
        return PtyTerminal(argv, env, cwd, answer_reports=answer_reports, cols=cols, rows=rows)
    return MemoryTerminal(argv[1:], env, cwd, answer_reports=answer_reports, cols=cols, rows=rows)
