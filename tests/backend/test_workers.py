"""The signed requests' workers (backend/workers.py): a result or an exception comes
back to the waiting request, a request gone before a worker took it up is not run,
and the threads end with their pool."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from backend.workers import Workers


def test_the_work_runs_on_a_worker_and_its_result_or_error_comes_back() -> None:
    pool = Workers(2, "test")

    async def main() -> tuple[str, str]:
        name = await pool.run(lambda: threading.current_thread().name)
        with pytest.raises(KeyError, match="gone"):
            await pool.run(lambda: {}["gone"])
        return name, threading.current_thread().name

    worker, loop = asyncio.run(main())
    assert worker.startswith("test_") and worker != loop


def test_a_request_gone_before_a_worker_took_it_is_not_run() -> None:
    pool = Workers(1, "test")
    release, ran = threading.Event(), []

    async def main() -> None:
        busy = asyncio.ensure_future(pool.run(release.wait))
        await asyncio.sleep(0.05)  # the one worker is held
        waiting = asyncio.ensure_future(pool.run(lambda: ran.append("late")))
        await asyncio.sleep(0.05)
        waiting.cancel()  # its client left
        release.set()
        assert await busy is True
        assert await pool.run(lambda: "after") == "after"  # the worker goes on

    asyncio.run(main())
    assert ran == []


def test_the_threads_end_with_their_pool() -> None:
    pool = Workers(3, "ending")
    asyncio.run(pool.run(lambda: None))
    threads = [t for t in threading.enumerate() if t.name.startswith("ending_")]
    assert threads
    del pool
    gc.collect()
    for thread in threads:
        thread.join(timeout=5)
        assert not thread.is_alive()
