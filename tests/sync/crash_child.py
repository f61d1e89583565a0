"""The terminal side of the crash test: queues records and relays them, as fast as
it can, until it is killed. After each commit it prints `queued KEY`, so the test
knows a lower bound of what was enqueued.

    python -m tests.sync.crash_child DB KEYS IDENTITY RUN
"""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.sync.client import BackendClient, Refused, Unavailable
from kiosk.sync.identity import Identity
from kiosk.sync.relay import Relay
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from wire import crypto


def main(db_path: str, keys: str, identity_path: str, run: str) -> None:
    db = connect(Path(db_path))
    outbox = Outbox(db, Keyring.open(Path(keys), crypto.DEFAULT, crypto.suite))
    client = BackendClient(Identity.load(Path(identity_path)), timeout_s=5)
    relay = Relay(outbox, client, batch_size=7)
    print("ready", flush=True)
    for n in range(10_000):
        key = f"crash-{run}-{n:05d}"
        with outbox.transaction():  # a business write would share this transaction
            outbox.add("audit", {"run": run, "n": n, "check": key[::-1]}, session=run, key=key)
        print(f"queued {key}", flush=True)
        if n % 3 == 2:
            try:
                relay.send_once()
            except (Unavailable, Refused):
                pass


if __name__ == "__main__":
    main(*sys.argv[1:5])
