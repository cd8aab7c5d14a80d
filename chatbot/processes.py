"""The one launcher: every process writer-chat starts is started here, the same way.

- The API key is never in its environment (``child_environ``), whatever the caller passed.
- It runs in the caller's working directory (the Env's ``cwd``), given explicitly.
- An argument no program can take (a NUL character) is refused in one line, not a traceback.
- A process that does not need the terminal gets a session and process group of its own, so
  Ctrl-C reaches writer-chat, which ends the command; it is ended with its whole group (what it
  forked included: TERM, then KILL) when writer-chat is done with it, and at the latest when
  writer-chat exits (``end_all``). A process in the foreground with the terminal (the shell
  assistant's command, the editor, the pager) stays in writer-chat's group, so the terminal's
  Ctrl-C and Ctrl-Z reach it, and is waited for.
- Processes a library starts for us (the MCP SDK's stdio servers) are adopted (``adopt_new``)
  and ended the same way at exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.env import KEY_VARIABLE
from chatbot.errors import UsageError

GRACE_SECONDS = 2.0  # between TERM and KILL for a group still running
_POLL = 0.02

_groups: set[int] = set()  # process groups started (or adopted) and not yet seen to end
_adopted: set[int] = set()  # of those, the ones a library reaps (never waited for here)


def child_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for a process: the run's, less the API key."""
    return {k: v for k, v in environ.items() if k != KEY_VARIABLE}


def check_arguments(argv: Sequence[str] | str, what: str, cwd: str | None = None) -> None:
    """Refuse what no program can be given (the OS would raise ValueError)."""
    words = [argv] if isinstance(argv, str) else list(argv)
    if cwd is not None:
        words.append(cwd)
    if any("\0" in word for word in words):
        raise UsageError(f"{what}: a NUL character cannot be passed to a program; nothing was run")


def start(
    argv: Sequence[str] | str,
    *,
    environ: Mapping[str, str],
    cwd: str | None,
    what: str,
    foreground: bool = False,
    **popen: Any,
) -> subprocess.Popen[Any]:
    """Start a process (``popen``: subprocess.Popen's stdin, stdout, stderr, shell, text...).
    ``foreground``: it shares the terminal with writer-chat (and its Ctrl-C); otherwise it gets
    a group of its own, ended with ``end`` or at exit. OSError is left to the caller to word."""
    check_arguments(argv, what, cwd)
    environment = {k: v for k, v in child_environ(environ).items() if "\0" not in k + v}
    process = subprocess.Popen(
        argv if isinstance(argv, str) else list(argv),
        env=environment,
        cwd=cwd,
        start_new_session=not foreground,
        **popen,
    )
    if not foreground:
        _groups.add(process.pid)
    return process


def end(process: subprocess.Popen[Any], grace: float = GRACE_SECONDS) -> int:
    """End ``process`` and everything in its group (TERM; KILL after ``grace``); its status."""
    if process.pid in _groups:
        _end_group(process.pid, grace, process)
    elif process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def adopt(pid: int) -> None:
    """A group a library started for us (its leader ``pid``), to end at exit."""
    _groups.add(pid)
    _adopted.add(pid)


def children() -> set[int]:
    """The pids of this process's children (Linux; elsewhere none are known)."""
    found: set[int] = set()
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as listing:
                found.update(int(pid) for pid in listing.read().split())
    except OSError:
        pass
    return found


def adopt_new(before: set[int]) -> None:
    """Adopt every child that leads its own group and was not there ``before``."""
    for pid in children() - before:
        try:
            if os.getpgid(pid) == pid:
                adopt(pid)
        except OSError:
            pass


def end_all(grace: float = GRACE_SECONDS) -> None:
    """End every group still running (writer-chat is exiting): TERM to all, KILL after
    ``grace`` to what is left."""
    alive = [pgid for pgid in sorted(_groups) if _signal(pgid, signal.SIGTERM)]
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        time.sleep(_POLL)
        alive = [pgid for pgid in alive if _running(pgid)]
    for pgid in alive:
        _signal(pgid, signal.SIGKILL)
    for pgid in alive:
        _reap(pgid)
    _groups.clear()
    _adopted.clear()


def _end_group(pgid: int, grace: float, process: subprocess.Popen[Any]) -> None:
    if _signal(pgid, signal.SIGTERM):
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            process.poll()
            if not _running(pgid):
                break
            time.sleep(_POLL)
        else:
            _signal(pgid, signal.SIGKILL)
    _groups.discard(pgid)


def _signal(pgid: int, number: int) -> bool:
    """Signal a whole group; whether anything was there to get it."""
    try:
        os.killpg(pgid, number)
    except ProcessLookupError:
        return False
    except OSError:  # not ours to signal any more
        return False
    return True


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (another user's counts: it is there, not ours to judge)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _running(pgid: int) -> bool:
    """Whether anything but a zombie of ours is left in the group."""
    _reap(pgid)
    return _signal(pgid, 0)


def _reap(pid: int) -> None:
    if pid in _adopted:  # its library's child watcher waits for it
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def forget(process: subprocess.Popen[Any]) -> None:
    """Leave ``process``'s group to itself: it outlives writer-chat on purpose (xclip serves
    the selection it was given until another program takes it)."""
    _groups.discard(process.pid)
