"""Drive the real ``writer-chat`` in a pseudo-terminal and read the screen as a person would.

pexpect gives the process a real PTY (so Ctrl-C is a real SIGINT from the line discipline);
pyte replays every byte it prints into a 100x30 screen with scrollback.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pexpect
import pyte

COLS, ROWS = 100, 30


def default_signals() -> None:
    """In the child: Ctrl-C and the terminal's signals as a person's shell gives them, even
    when the suite itself was started with them ignored (a background job: ``pytest &``)."""
    for which in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(which, signal.SIG_DFL)


class _AnsweringScreen(pyte.HistoryScreen):
    """A screen that answers the terminal's reports (cursor position) back to the program,
    as a real terminal does; prompt_toolkit needs that to lay out its bottom toolbar."""

    reply_to: pexpect.spawn | None = None

    def write_process_input(self, data: str) -> None:
        if self.reply_to is not None:
            self.reply_to.send(data)


class Terminal:
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
        self.cols, self.rows = cols, rows
        if not answer_reports:
            env["PROMPT_TOOLKIT_NO_CPR"] = "1"
        env.pop("PYTHONUNBUFFERED", None)
        self.screen = _AnsweringScreen(cols, rows, history=5000)
        self.screen.set_mode(pyte.modes.LNM)
        self._stream = pyte.ByteStream(self.screen)
        self.raw = b""
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

    def pump(self, wait: float = 0.05) -> None:
        """Read whatever the process printed (waiting up to ``wait`` seconds for the first byte)."""
        while True:
            try:
                data = self.child.read_nonblocking(65536, timeout=wait)
            except (pexpect.TIMEOUT, pexpect.EOF):
                return
            self.raw += data
            self._stream.feed(data)
            wait = 0.01

    def read_once(self, wait: float = 0.05) -> bool:
        """Feed one read of the program's output to the screen; False when there was none.

        Checking the screen after each read sees every state a person could have seen."""
        try:
            data = self.child.read_nonblocking(65536, timeout=wait)
        except (pexpect.TIMEOUT, pexpect.EOF):
            return False
        self.raw += data
        self._stream.feed(data)
        return True

    def lines(self) -> list[str]:
        """Scrollback then screen, right-trimmed."""
        cols = self.cols
        history = ["".join(row[x].data for x in range(cols)) for row in self.screen.history.top]
        return [line.rstrip() for line in [*history, *self.screen.display]]

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
