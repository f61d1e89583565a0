"""The terminal process is killed (SIGKILL) at random points of enqueue and relay,
200 times. Afterwards every record it committed is at the backend exactly once,
intact, and nothing is left in the outbox."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db import StoredRecord
from backend.limits import Limit, Limits
from kiosk.sync.client import BackendClient
from kiosk.sync.relay import Relay
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.services.backend import LiveBackend
from tests.sync.conftest import enrol
from wire import crypto

KILLS = 200


def test_killed_200_times_nothing_lost_nothing_twice(tmp_path: Path) -> None:
    # 200 terminals' worth of writes in a minute from one identity: past a terminal's
    # rate limit once the backend answers fast enough; the limit is not what this tests
    limits = Limits(terminal_writes=Limit(1_000_000, 60))
    backend = LiveBackend(tmp_path / "backend", time.time, limits=limits)
    backend.start()
    try:
        identity = enrol(backend, tmp_path / "identity.json")
        db_path, keys = tmp_path / "kiosk.db", tmp_path / "keys.json"
        connect(db_path).close()
        Keyring.open(keys, crypto.DEFAULT, crypto.suite)
        rng = random.Random(20261123)
        queued: set[str] = set()
        for run in range(KILLS):
            child = subprocess.Popen(
                [sys.executable, "-m", "tests.sync.crash_child", str(db_path), str(keys),
                 str(tmp_path / "identity.json"), f"r{run:03d}"],
                stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
            )  # fmt: skip
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", f"run {run} did not start"
            time.sleep(rng.uniform(0.0, 0.15))
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
            for line in child.stdout.read().splitlines():
                if line.startswith("queued "):
                    queued.add(line.split()[1])
            child.stdout.close()
        assert len(queued) > KILLS  # the kills landed in the middle of real work

        db = connect(db_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        client = BackendClient(identity, timeout_s=10)
        outbox = Outbox(db, Keyring.open(keys, crypto.DEFAULT, crypto.suite))
        done = Relay(outbox, client, batch_size=200).drain()
        client.close()
        assert done.failed == 0 and outbox.status()["depth"] == 0

        with Session(backend.app.state.engine) as session:
            stored = list(session.scalars(select(StoredRecord)))
            rows = session.scalar(select(func.count()).select_from(StoredRecord))
        at_backend = {r.key for r in stored}
        assert rows == len(at_backend)  # exactly once
        assert queued <= at_backend  # nothing enqueued is lost
        # Committed but killed before it could say so: at most one per kill.
        assert len(at_backend - queued) <= KILLS
        assert all(r.body["check"] == r.key[::-1] for r in stored)  # intact
        for run in {r.session for r in stored}:  # each run's records in order
            numbers = [r.body["n"] for r in sorted(stored, key=lambda r: r.seq) if r.session == run]
            assert numbers == sorted(numbers)
    finally:
        backend.stop()
        backend.app.state.engine.dispose()
