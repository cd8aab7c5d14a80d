"""/copy on a local desktop: the native clipboard tool gets the exact text, and is named only
when it took it. A small script on PATH stands in for wl-copy / xclip (this machine has no
desktop); tmux's buffer is tested with a real tmux in test_slash_commands_pty.py."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from chatbot.env import Env
from chatbot.terminal import clipboard
from tests.conftest import memory_env

TEXT = "line one  \n\tindented — ünïcode\nlast line, no newline"


@pytest.fixture
def desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Linux outside tmux with no display yet; tools put in the returned folder come first."""
    monkeypatch.setattr(clipboard.sys, "platform", "linux")
    return tmp_path


def _env(folder: Path, **environ: str) -> Env:
    return memory_env({"PATH": f"{folder}:/usr/bin:/bin", **environ}, folder)


def _tool(folder: Path, name: str, status: int) -> Path:
    """An executable ``name`` that keeps what it is given in ``name.got`` and exits ``status``."""
    got = folder / f"{name}.got"
    script = folder / name
    script.write_text(f'#!/bin/sh\ncat > "{got}"\nexit {status}\n')
    script.chmod(0o755)
    return got


@pytest.mark.parametrize(
    ("tool", "display"), [("wl-copy", "WAYLAND_DISPLAY"), ("xclip", "DISPLAY")]
)
def test_the_desktop_s_tool_gets_the_exact_text_and_is_named(
    tool: str, display: str, desktop: Path
) -> None:
    got = _tool(desktop, tool, 0)
    env = _env(desktop, **{display: ":0"})
    assert clipboard.copy(TEXT, env) == f"the terminal (OSC 52), {tool}"
    assert got.read_bytes() == TEXT.encode()
    osc52 = f"\x1b]52;c;{base64.b64encode(TEXT.encode()).decode()}\x07"
    assert env.stdout.getvalue() == osc52  # type: ignore[attr-defined]


def test_a_tool_that_fails_or_no_desktop_is_not_claimed(desktop: Path) -> None:
    got = _tool(desktop, "wl-copy", 1)
    on_wayland = _env(desktop, WAYLAND_DISPLAY="wayland-0")
    assert clipboard.copy(TEXT, on_wayland) == "the terminal (OSC 52)"  # it ran and failed
    assert got.exists()
    got.unlink()
    over_ssh = _env(desktop)  # no desktop here, the terminal's only
    assert clipboard.copy(TEXT, over_ssh) == "the terminal (OSC 52)"
    assert not got.exists()
