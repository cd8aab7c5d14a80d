"""The suite touches nothing of the user's: a run with XDG_CONFIG_HOME and XDG_DATA_HOME set
(and a config already there) leaves those folders as they were, and passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# tests that write a config file (an MCP import), a template and the history
WRITERS = [
    "tests/test_mcp_import.py::test_import_appends_to_the_config_and_mcp_lists_them",
    "tests/test_templates.py::test_flags_beat_the_template_and_words_are_added_to_its_prompt",
    "tests/test_one_shot.py::test_prompt_argument_gets_one_plain_reply",
]


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_suite_leaves_the_users_xdg_folders_untouched(tmp_path):
    user = tmp_path / "user"
    config = user / "config" / "writer-chat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        'model = "palmyra-x4"\ntemperature = 1.9\n[mcp_servers.mine]\ncommand = "x"\n'
    )
    (user / "data").mkdir()
    before = _listing(user)
    env = {
        **os.environ,
        "HOME": str(user),
        "XDG_CONFIG_HOME": str(user / "config"),
        "XDG_DATA_HOME": str(user / "data"),
        "XDG_CACHE_HOME": str(user / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *WRITERS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert _listing(user) == before
