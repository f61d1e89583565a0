"""Draining the outbox to a local backend: 5,000 encrypted records (a few hundred
bytes each, like a rating or an application) queued on the terminal, then sent by
the relay to `kiosk-backend serve` on loopback (SQLite) in batches of 100, signed,
acknowledged and deleted; once in each crypto suite (gm: SM4-GCM at rest, SM2
signatures checked by the backend; intl: AES-256-GCM, Ed25519), the backend served
in the same suite. Prints one JSON object. Target: >= 1,000 records/s."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' service helpers

from kiosk.sync.client import BackendClient, post_unsigned
from kiosk.sync.identity import Identity
from kiosk.sync.relay import Relay
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.services.process import free_port, port_open, wait_until
from wire import crypto
from wire.signing import public_key_text
from wire.sync import EnrolmentReply, EnrolmentRequest

RECORDS = 5000
BIN = Path(sys.executable).parent


def drain(suite: str) -> dict[str, object]:
    """Enqueue and drain RECORDS in `suite`, terminal and backend alike."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-drain-") as folder:
        work = Path(folder)
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "kiosk-backend"), "serve", "--port", str(port), "--data", str(work / "b"),
             "--crypto-suite", suite],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(lambda: port_open(port), "kiosk-backend serve", timeout=60)
            code = subprocess.run(
                [str(BIN / "kiosk-backend"), "code", "--data", str(work / "b")],
                capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
            key = crypto.suite(suite).generate_private_key()
            ask = EnrolmentRequest(code=code, public_key=public_key_text(key.public),
                                   software_version="bench")  # fmt: skip
            reply = EnrolmentReply.model_validate(post_unsigned(url + "/v1/enrol", ask, 10))
            db = connect(work / "kiosk.db")
            outbox = Outbox(db, Keyring.open(work / "keys.json", suite, crypto.suite))
            started = time.perf_counter()
            with outbox.transaction():
                for n in range(RECORDS):
                    outbox.add("application", {
                        "service": "proof", "n": n, "id_number": "110101199001011234",
                        "name": "测试", "use": "就业", "answers": {"phone": "13800000000"},
                    }, session=f"s{n // 5}")  # fmt: skip
            enqueue_s = time.perf_counter() - started
            client = BackendClient(Identity(reply.terminal_id, url, key))
            relay = Relay(outbox, client, batch_size=100)
            started = time.perf_counter()
            done = relay.drain(max_rounds=10_000)
            drain_s = time.perf_counter() - started
            assert done.sent == RECORDS and outbox.status()["depth"] == 0, done
            client.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return {
        "enqueue_records_per_s": round(RECORDS / enqueue_s),
        "drain_s": round(drain_s, 2), "drain_records_per_s": round(RECORDS / drain_s),
        "met": RECORDS / drain_s >= 1000,
    }  # fmt: skip


def main() -> None:
    suites = {name: drain(name) for name in crypto.NAMES}
    print(json.dumps({
        "bench": "outbox_drain", "records": RECORDS, "batch": 100, "backend": "sqlite",
        "suites": suites, "target_records_per_s": 1000,
        "met": all(found["met"] for found in suites.values()),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
