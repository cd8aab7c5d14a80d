"""The REPL hands freed heap memory back after each reply (chatbot/terminal/heap.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatbot.terminal import heap

RSS_AFTER_FREEING = """
import json
from pathlib import Path

from chatbot.terminal.heap import release_free_memory

def rss_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

blocks = [bytearray(20_000) for _ in range(2_000)]  # 40 MB in heap-sized pieces
last = blocks[-1]  # the newest block stays, so the heap's top cannot shrink by itself
del blocks
before = rss_kb()
release_free_memory()
print(json.dumps([before, rss_kb()]))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_freed_heap_memory_goes_back_to_the_system() -> None:
    if heap.malloc_trim() is None:
        pytest.skip("this C library has no malloc_trim: the call does nothing by design")
    done = subprocess.run(
        [sys.executable, "-c", RSS_AFTER_FREEING], capture_output=True, text=True, check=True
    )
    before, after = json.loads(done.stdout)
    assert before - after > 30_000, (before, after)  # most of the 40 MB freed came back
