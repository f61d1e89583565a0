"""What one signed request costs the backend, in CPU: `kiosk-backend serve` (one API
process) on this machine, sent signed heartbeats and 10-record batches one after
another on one keep-alive connection, the requests signed beforehand (the client's
work is not the backend's). The server's CPU time (user + system, read from /proc)
over the run, divided by the requests. On SQLite and on PostgreSQL (a private
cluster, as the tests start it), in the suite of `KIOSK_BENCH_SUITE` (gm by default).
Prints one JSON object. Targets (issue #21): <= 1 ms a heartbeat, <= 2 ms a batch.

    bench/backend_cost.py [--requests N] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.services.process import free_port, port_open, wait_until

ROOT = Path(__file__).resolve().parents[1]
# `kiosk-backend serve` of this checkout (the installed script runs the one it was
# installed from)
SERVE = [sys.executable, "-m", "backend.cli"]
SERVE_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
SUITE = os.environ.get("KIOSK_BENCH_SUITE") or os.environ.get("KIOSK_CRYPTO_DEFAULT") or "gm"
TERMINALS = 200  # the requests are spread over them, as a fleet's are
WARM = 2 * TERMINALS  # requests of each kind not measured
TARGETS_MS = {"heartbeat": 1.0, "batch_of_10": 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000,
                        help=f"of each kind, the first {WARM} not measured")  # fmt: skip
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {kind: _one_database(kind, args.requests) for kind in kinds}
    print(json.dumps({
        "bench": "backend_cost", "crypto_suite": SUITE, "requests_each": args.requests,
        "targets_cpu_ms": TARGETS_MS, **results,
        "met": all(r[k]["cpu_ms"] <= t for r in results.values() for k, t in TARGETS_MS.items()),
    }))  # fmt: skip


def _one_database(kind: str, requests: int) -> dict[str, object]:
    from tests.services.postgres import PostgresCluster

    work = Path(tempfile.mkdtemp(prefix=f"kiosk-bench-cost-{kind}-"))
    work.chmod(0o755)
    cluster = None
    try:
        if kind == "postgresql":
            cluster = PostgresCluster(work / "pg")
            (work / "pg").mkdir()
            cluster.start()
        url = cluster.url if cluster else f"sqlite:///{work / 'backend.db'}"
        return _measure(url, work, requests)
    finally:
        if cluster is not None:
            cluster.stop()


def _measure(url: str, work: Path, requests: int) -> dict[str, object]:
    fleet = seed_fleet(url, TERMINALS)
    port = free_port()
    server = subprocess.Popen(
        [*SERVE, "serve", "--port", str(port), "--db", url,
         "--data", str(work / "data"), "--crypto-suite", SUITE, "--unthrottled", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=SERVE_ENV,
    )  # fmt: skip
    try:
        wait_until(lambda: port_open(port), "kiosk-backend serve", timeout=60)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        found: dict[str, object] = {}
        for kind in ("heartbeat", "batch_of_10"):
            signed = [signed_request(kind, *fleet[i % len(fleet)]) for i in range(requests)]
            # warm: the first requests import and connect, and each terminal's key gets
            # its table on its second request (wire/crypto/sm2_tables.py), as in a fleet
            # running all day
            _send(connection, signed[:WARM])
            before, started = process_cpu_s(server.pid), time.perf_counter()
            ok = _send(connection, signed[WARM:])
            wall, cpu = time.perf_counter() - started, process_cpu_s(server.pid) - before
            n = len(signed) - WARM
            found[kind] = {"cpu_ms": round(cpu / n * 1000, 2),
                           "wall_ms": round(wall / n * 1000, 2), "ok": ok, "sent": n}  # fmt: skip
        connection.close()
        return found
    finally:
        server.terminate()
        server.wait(timeout=20)


def seed_fleet(url: str, size: int) -> list[tuple[str, object]]:
    """`size` terminals enrolled straight into the database: (id, private key)."""
    from sqlalchemy.orm import Session

    from backend.db import Terminal, make_engine, migrate
    from wire import crypto
    from wire.signing import public_key_text

    engine = make_engine(url)
    migrate(engine)
    suite = crypto.suite(SUITE)
    fleet = [("T" + secrets.token_hex(6), suite.generate_private_key()) for _ in range(size)]
    with Session(engine) as db:
        db.add_all(Terminal(
            id=tid, public_key=public_key_text(k.public), name="bench", enrolled_at=0,
            software_version="bench", devices={}, consumables={}, outbox_depth=0,
        ) for tid, k in fleet)  # fmt: skip
        db.commit()
    engine.dispose()
    return fleet


def request_body(kind: str, terminal: str, now: float) -> tuple[str, bytes]:
    """A heartbeat, or a batch of application records (10, or one for the fleet)."""
    if kind == "heartbeat":
        return "/v1/heartbeat", json.dumps({
            "terminal_time": now, "software_version": "bench",
            "devices": {"printer": {"status": "online"}}, "consumables": {"paper": 300},
            "outbox": {"depth": 0},
        }).encode()  # fmt: skip
    count = 10 if kind == "batch_of_10" else 1
    return "/v1/records", json.dumps({"records": [{
        "key": secrets.token_hex(16), "kind": "application", "session": terminal,
        "created_at": now, "body": {"service": "proof", "fee_fen": 0},
    } for _ in range(count)]}).encode()  # fmt: skip


def signed_request(kind: str, terminal: str, key: object) -> tuple[str, bytes, dict[str, str]]:
    from wire import signing

    now = time.time()
    path, raw = request_body(kind, terminal, now)
    headers = {**signing.sign(key, terminal, "POST", path, raw, now),  # type: ignore[arg-type]
               "Content-Type": "application/json"}  # fmt: skip
    return path, raw, headers


def _send(connection: http.client.HTTPConnection, signed: list) -> int:
    ok = 0
    for path, raw, headers in signed:
        connection.request("POST", path, raw, headers)
        answer = connection.getresponse()
        answer.read()
        ok += answer.status == 200
    return ok


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and every process under it."""
    return sum(process_tree_cpu_s(pid).values())


def process_tree_cpu_s(pid: int) -> dict[int, float]:
    """User + system CPU seconds of a process and of each process under it, by pid."""
    found, tick = {}, os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            found[current] = (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue  # gone meanwhile
    return found


if __name__ == "__main__":
    main()
