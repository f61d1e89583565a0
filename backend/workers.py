"""The threads signed requests run on, from their check to their commit
(backend/auth.py): a fixed number an application, each request's result handed
straight to the event loop that waits for it.

asyncio's `run_in_executor` cost a heartbeat more than this: it asks whether the
function is a coroutine function (inspect), and chains the executor's future
(a lock and a condition each) to an asyncio one through callbacks on both sides.
Here a worker sets the asyncio future itself, on the loop's thread. A request whose
client left before a worker took it up (its future cancelled) is not run, as
`run_in_executor` skips it too.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


class Workers:
    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._starting = threading.Lock()
        # the threads end with the pool (an application dropped, as tests do)
        weakref.finalize(self, _stop, self._jobs, self._threads)

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on a worker thread; its result, or its exception raised here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, work))
        if len(self._threads) < self._size:  # started as the first requests come
            self._start_one()
        return await future

    def _start_one(self) -> None:
        with self._starting:
            if len(self._threads) < self._size:
                name = f"{self._name}_{len(self._threads)}"
                thread = threading.Thread(target=_work, args=(self._jobs,), name=name, daemon=True)
                thread.start()
                self._threads.append(thread)


def _work(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while (job := jobs.get()) is not None:
        loop, future, work = job
        if future.cancelled():  # its request is gone
            continue
        try:
            result = work()
        except BaseException as exc:
            _hand(loop, _failed, future, exc)
        else:
            _hand(loop, _done, future, result)


def _hand(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(settle, *args)
    except RuntimeError:  # the loop has closed (the server stopping): nobody waits
        pass


def _done(future: asyncio.Future[Any], result: Any) -> None:
    if not future.cancelled():
        future.set_result(result)


def _failed(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(exc)


def _stop(jobs: queue.SimpleQueue[_Job | None], threads: list[threading.Thread]) -> None:
    for _ in threads:
        jobs.put(None)
