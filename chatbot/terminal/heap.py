"""Give the heap memory freed during a reply back to the system (glibc only).

Each turn of a long chat sends a larger request (the whole conversation) and renders more
text. glibc keeps the memory freed by those growing temporaries in its heap, so the resident
size of a REPL grew ~15 KB a turn while its live objects grew ~1 KB (benchmarks/memory.py).
``malloc_trim(0)`` hands the free pages back in well under a millisecond. Where the C library
has no ``malloc_trim`` (macOS, musl, Windows) this does nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable


@functools.cache
def malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim``, or None where there is none."""
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim
    except (ImportError, OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Return free heap pages to the system; call it when a reply is done."""
    trim = malloc_trim()
    if trim is not None:
        trim(0)
