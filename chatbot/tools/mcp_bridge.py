"""The MCP servers' event loop beside the chat's thread: anyio's blocking portal.

The SDK is asynchronous and the chat is not. The portal runs an event loop on a thread of its
own (a daemon: a server that will not end never holds the program's exit), started with the
first server turned on, so the SDK's import and the servers' start overlap with the user
typing. The chat's thread hands it coroutines and waits for what they give back in short
slices, so Ctrl-C (which Python delivers to the main thread between two of them) gives the
chat back at once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

SLICE = 0.1  # seconds the chat's thread waits at a time (Ctrl-C is seen between slices)


class Bridge:
    """One event loop on a thread of its own, reached through anyio's blocking portal."""

    def __init__(self, name: str = "mcp") -> None:
        self._name = name
        self._portal: BlockingPortal | None = None

    @property
    def running(self) -> bool:
        return self._portal is not None

    def _started(self) -> BlockingPortal:
        if self._portal is None:
            ready: concurrent.futures.Future[BlockingPortal] = concurrent.futures.Future()
            thread = threading.Thread(target=_serve, args=(ready,), name=self._name, daemon=True)
            thread.start()
            self._portal = ready.result()
        return self._portal

    def start(
        self, function: Callable[..., Coroutine[Any, Any, Any]], *args: Any
    ) -> concurrent.futures.Future[Any]:
        """Run ``function(*args)`` on the loop; its future (cancelling it cancels the task)."""
        return self._started().start_task_soon(function, *args)

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        """Run a plain function on the loop's thread (an asyncio.Event's ``set``), if the loop
        runs."""
        if self._portal is not None:
            with contextlib.suppress(RuntimeError):  # the portal is stopping
                self._portal.call(function, *args)

    def close(self, futures: list[concurrent.futures.Future[Any]], grace: float) -> None:
        """Give ``futures`` (told to end already) ``grace`` seconds, cancel what is still at
        work (a server still starting among them, so that it too ends its process) and give
        it ``grace`` more, then stop the loop. Ctrl-C cuts the waiting short."""
        portal, self._portal = self._portal, None
        if portal is None:
            return
        with contextlib.suppress(KeyboardInterrupt):
            pending = _wait_all(futures, grace)
            for future in pending:
                future.cancel()
            _wait_all(pending, grace)
        with contextlib.suppress(RuntimeError):
            portal.start_task_soon(portal.stop, True)


def wait(future: concurrent.futures.Future[Any], seconds: float) -> Any:
    """The future's result, waited for in short slices (concurrent.futures.TimeoutError after
    ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return future.result(SLICE)
        except concurrent.futures.TimeoutError:
            if time.monotonic() > deadline:
                raise


def _wait_all(
    futures: list[concurrent.futures.Future[Any]], seconds: float
) -> list[concurrent.futures.Future[Any]]:
    deadline = time.monotonic() + seconds
    pending = [f for f in futures if not f.done()]
    while pending and time.monotonic() < deadline:
        concurrent.futures.wait(pending, timeout=SLICE)
        pending = [f for f in pending if not f.done()]
    return pending


def _serve(ready: concurrent.futures.Future[BlockingPortal]) -> None:
    """The loop's thread: a blocking portal until it is stopped."""
    import anyio
    from anyio.from_thread import BlockingPortal

    async def main() -> None:
        async with BlockingPortal() as portal:
            ready.set_result(portal)
            await portal.sleep_until_stopped()

    try:
        anyio.run(main, backend="asyncio")
    except BaseException as problem:  # the loop could not start: the chat's thread is told
        if not ready.done():
            ready.set_exception(problem)
