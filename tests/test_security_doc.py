"""SECURITY.md names the test beside each promise: every file and test it names exists, so the
document cannot go on citing a test that was renamed or removed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r"`(test_\w+\.py)?(?:::(\w+))?`")


def cited_tests(text: str) -> list[tuple[str, str | None]]:
    """(file, test or None) for each `test_x.py`, `test_x.py::name` and `::name` (the file
    cited before it)."""
    found: list[tuple[str, str | None]] = []
    last_file = ""
    for match in CITED.finditer(text):
        file, name = match.groups()
        if not (file or name):
            continue
        last_file = file or last_file
        found.append((last_file, name))
    return found


def test_every_test_security_md_names_exists():
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    cited = cited_tests(text)
    assert len(cited) > 20
    missing = []
    for file, name in cited:
        path = ROOT / "tests" / file
        if not path.exists() or (name and f"def {name}(" not in path.read_text(encoding="utf-8")):
            missing.append(f"{file}::{name}" if name else file)
    assert missing == []


def test_the_reader_of_citations_inherits_the_file():
    text = "`test_a.py::one`, `::two`, `test_b.py` and `::three`"
    assert cited_tests(text) == [
        ("test_a.py", "one"), ("test_a.py", "two"), ("test_b.py", None), ("test_b.py", "three")
    ]  # fmt: skip
