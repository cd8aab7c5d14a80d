"""/copy: put text on the clipboard by every way this session offers, and say which.

OSC 52 always (the terminal sets its clipboard, over ssh too); inside tmux also tmux's buffer
(tmux drops OSC 52 unless set-clipboard is on); on a local desktop the native tool when there
is one. The text is the reply's own, never a rendering of it (no wrapping, no padding).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys

from chatbot import processes
from chatbot.env import Env

TIMEOUT = 5


def _run(command: list[str], text: str, env: Env) -> bool:
    try:
        tool = processes.start(
            command, environ=env.environ, cwd=env.cwd, what=command[0],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except OSError:
        return False
    try:
        tool.communicate(text.encode(), timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        processes.end(tool)
        return False
    # xclip stays in the background to serve the selection: its group is left to it
    processes.forget(tool)
    return tool.returncode == 0


def _tmux_plain(text: str, env: Env) -> bool:
    return _run(["tmux", "load-buffer", "-"], text, env)


def _native(env: Env) -> tuple[str, list[str]] | None:
    """The desktop's own clipboard tool, if this is a local desktop that has one."""
    if sys.platform == "darwin" and shutil.which("pbcopy"):
        return "pbcopy", ["pbcopy"]
    path = env.get("PATH") or None
    if env.get("WAYLAND_DISPLAY") and shutil.which("wl-copy", path=path):
        return "wl-copy", ["wl-copy"]
    if env.get("DISPLAY") and shutil.which("xclip", path=path):
        return "xclip", ["xclip", "-selection", "clipboard"]
    return None


def copy(text: str, env: Env) -> str:
    """Copy ``text``; return where it went, for the user to read."""
    encoded = base64.b64encode(text.encode()).decode()
    env.stdout.write(f"\x1b]52;c;{encoded}\x07")
    env.stdout.flush()
    places = ["the terminal (OSC 52)"]
    in_tmux = bool(env.get("TMUX")) and shutil.which("tmux", path=env.get("PATH") or None)
    # -w also hands it to tmux's own clipboard handling (tmux 3.2+); older ones lack the flag
    if in_tmux and (_run(["tmux", "load-buffer", "-w", "-"], text, env) or _tmux_plain(text, env)):
        places.append("tmux's buffer")
    native = _native(env)
    if native is not None and _run(native[1], text, env):
        places.append(native[0])
    return ", ".join(places)
