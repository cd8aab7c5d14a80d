"""docs/screenshot.svg is what docs/make_screenshot.py draws from its exchange, and the same
every time: regenerating it leaves the tree clean."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_screenshot", ROOT / "docs/make_screenshot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_screenshot_is_the_same_each_time_and_current():
    script = _script()
    first = script.render_svg()
    assert script.render_svg() == first
    assert (ROOT / "docs" / "screenshot.svg").read_text(encoding="utf-8") == first, (
        "run: uv run python docs/make_screenshot.py"
    )
