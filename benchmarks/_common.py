"""Shared helpers for the benchmarks: the fake server, a clean environment, medians."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fake_server import TEST_KEY, FakeWriter, Script  # noqa: E402

PYTHON = sys.executable
WRITER_CHAT = str(Path(sys.executable).with_name("writer-chat"))

__all__ = ["PYTHON", "ROOT", "TEST_KEY", "WRITER_CHAT", "FakeWriter", "Script", "env_for", "median"]


def env_for(base_url: str) -> dict[str, str]:
    """The environment a user has: bytecode caches allowed, an empty data home."""
    home = Path(tempfile.mkdtemp(prefix="writer-chat-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WRITER_", "PYTHONDONT"))}
    env.update(
        WRITER_API_KEY=TEST_KEY,
        WRITER_BASE_URL=base_url,
        XDG_DATA_HOME=str(home),
        TERM="xterm-256color",
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    return env


def median(values: list[float]) -> float:
    return statistics.median(values)
