"""Give the heap memory freed during a reply back to the system (glibc only).

Each turn of a long chat sends a larger request (the whole conversation) and renders more
text. glibc keeps the memory freed by those growing temporaries in its heap, so the resident
size of a REPL grew ~15 KB a turn while its live objects grew ~1 KB (benchmarks/memory.py).
``malloc_trim(0)`` hands the free pages back in well under a millisecond. Where the C library
has no ``malloc_trim`` (macOS, musl, Windows) this does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

_trim: Callable[[int], int] | None = None
_loaded = False


def _load() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (ImportError, OSError, AttributeError):
        return None


def release_free_memory() -> None:
    """Return free heap pages to the system; call it when a reply is done."""
    global _trim, _loaded
    if not _loaded:
        _trim, _loaded = _load(), True
    if _trim is not None:
        _trim(0)
