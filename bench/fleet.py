"""A simulated fleet against `kiosk-backend serve` (two API processes) on this
machine: every terminal sends a signed heartbeat each minute and a transaction (an
application record) every two minutes, at random phases, open loop (a slow backend
does not slow the fleet down). Held means at least 99 % of the requests answered
2xx and p99 latency, from the moment a request was due (the generator's own
queueing counts against us), under 200 ms. On SQLite and on PostgreSQL (a private
cluster, as the tests start it). Prints one JSON object. Target: 10,000 terminals
held on both.

The load generator shares the machine's two cores with the backend, so it is made
light: one process, asyncio, HTTP/1.1 spoken by hand, every request signed before
the window opens (a signature holds for 300 s). Each request opens its connection,
as a terminal's does: it speaks once a minute, and the backend keeps an idle
connection 30 s (a pool of kept-alive connections would also pin the load to
whichever API process accepted them first).
Its own CPU time and the backend's (every API process, from /proc) are reported,
and the backend's CPU per request with them.

    bench/fleet.py [--terminals N] [--seconds S] [--db sqlite|postgresql|both] [--running]

By default the window opens on a fleet just started: each terminal's first request to
an API process there takes the whole check (its key not yet known) and SM2's check
through EVP (no table yet). With --running, every terminal first sends RUNNING_BEATS
heartbeats, as over some minutes of running, so that each API process (the kernel
hands connections to either) has seen most terminals at least twice.

Without --terminals, fleets grow (2,500 to 15,000) until one is not held. The
fleet's keys and the backend's `--crypto-suite` are of one suite: `KIOSK_BENCH_SUITE`
(else `KIOSK_CRYPTO_DEFAULT`, else gm).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend_cost import (
    SERVE,
    SERVE_ENV,
    SUITE,
    process_cpu_s,
    process_tree_cpu_s,
    request_body,
    seed_fleet,
)

from tests.services.process import free_port, port_open, wait_until

SIZES = [2500, 5000, 7500, 10000, 12500, 15000]
WINDOW_S = 40.0
RUNNING_BEATS = 6  # a process sees a terminal twice or more in 89 % of fleets' terminals
RUNNING_RATE = 500  # heartbeats a second before the window, with --running
P99_TARGET_MS = 200.0
CONNECTIONS = 256  # connections open at once, at most (the generator's file descriptors)
GIVE_UP_S = 5.0  # a request still waiting for a connection this long after due: failed
ANSWER_WITHIN_S = 30.0  # a request unanswered this long: failed (the client's timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terminals", type=int, help="one fleet of this size")
    parser.add_argument("--seconds", type=float, default=WINDOW_S, help="the window measured")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--running",
        action="store_true",
        help="every terminal beats first, as in a fleet that has run",
    )
    args = parser.parse_args()
    sizes = [args.terminals] if args.terminals else SIZES
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {kind: _one_database(kind, sizes, args.seconds, args.running) for kind in kinds}
    print(json.dumps({
        "bench": "fleet", "crypto_suite": SUITE, "window_s": args.seconds,
        "heartbeat_per_terminal_s": 60, "transaction_per_terminal_s": 120,
        "p99_target_ms": P99_TARGET_MS, "api_processes": 2, "target_terminals": 10000,
        "running": args.running,
        **results, "met": all(r["largest_held"] >= 10000 for r in results.values()),
    }))  # fmt: skip


def _one_database(kind: str, sizes: list[int], seconds: float, running: bool) -> dict[str, object]:
    from tests.services.postgres import PostgresCluster

    work = Path(tempfile.mkdtemp(prefix=f"kiosk-bench-fleet-{kind}-"))
    work.chmod(0o755)
    cluster = None
    if kind == "postgresql":
        cluster = PostgresCluster(work / "pg")
        (work / "pg").mkdir()
        cluster.start()
    steps, largest = [], 0
    try:
        for size in sizes:
            url = _fresh_database(cluster.url if cluster else None, work, size)
            step = _step(url, size, work, seconds, _postmaster(cluster), running)
            steps.append(step)
            print(json.dumps({"database": kind, **step}), file=sys.stderr)
            if not step["held"]:
                break
            largest = size
    finally:
        if cluster is not None:
            cluster.stop()
    return {"largest_held": largest, "steps": steps}


def _step(
    url: str, size: int, work: Path, seconds: float, db_pid: int | None, running: bool
) -> dict[str, object]:
    fleet = seed_fleet(url, size)
    port = free_port()
    server = subprocess.Popen(
        [*SERVE, "serve", "--port", str(port), "--workers", "2",
         "--db", url, "--data", str(work / "data"), "--crypto-suite", SUITE,
         "--unthrottled", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=SERVE_ENV,
    )  # fmt: skip
    try:
        wait_until(lambda: port_open(port), "kiosk-backend serve", timeout=60)
        # both API processes up and warm (imports, connections, compiled statements)
        # before the window: a start is not what is measured
        warm = [(i / 100, request) for i, (_, request) in enumerate(_schedule(fleet[:200], 120))]
        asyncio.run(_generate(port, warm))
        if running:
            beats = _beats(fleet, RUNNING_BEATS)
            asyncio.run(_generate(port, [(i / RUNNING_RATE, b) for i, b in enumerate(beats)]))
        time.sleep(1.0)
        schedule = _schedule(fleet, seconds)
        backend_before = process_tree_cpu_s(server.pid)
        database_before = process_cpu_s(db_pid) if db_pid else 0.0
        own_before = time.process_time()
        found = asyncio.run(_generate(port, schedule))
        own = time.process_time() - own_before
        backend_after = process_tree_cpu_s(server.pid)
        # each API process's share: the kernel hands connections to whichever accepts
        spent = [t - backend_before.get(p, 0.0) for p, t in backend_after.items()]
        shares = sorted((round(t, 1) for t in spent), reverse=True)
        backend = sum(spent)
        database = (process_cpu_s(db_pid) - database_before) if db_pid else None
    finally:
        server.terminate()
        server.wait(timeout=20)
    latencies = sorted(found["latencies_ms"])
    sent, ok = len(latencies), found["ok"]
    p99 = latencies[int(0.99 * (sent - 1))] if latencies else float("inf")
    p50 = latencies[sent // 2] if latencies else float("inf")
    return {
        "terminals": size, "requests": sent, "ok": ok,
        "offered_per_s": round(sent / seconds, 1),
        "p50_ms": round(p50, 1), "p99_ms": round(p99, 1),
        "held": sent > 0 and ok >= 0.99 * sent and p99 < P99_TARGET_MS,
        "cpu_s": {"backend": round(backend, 1), "backend_processes": shares,
                  "generator": round(own, 1),
                  **({"postgresql": round(database, 1)} if database is not None else {})},
        "backend_cpu_ms_per_request": round(backend / max(sent, 1) * 1000, 2),
    }  # fmt: skip


def _schedule(fleet: list[tuple[str, object]], seconds: float) -> list[tuple[float, bytes]]:
    """Every request of the window, signed now, as (seconds after the start, the bytes
    of the whole HTTP request), in the order due."""
    from wire import signing

    rng = random.Random(7)
    now = time.time()
    due: list[tuple[float, str, str, object]] = []
    for terminal, key in fleet:
        for kind, every in (("heartbeat", 60.0), ("record", 120.0)):
            at = rng.uniform(0, every)
            while at < seconds:
                due.append((at, kind, terminal, key))
                at += every
    due.sort(key=lambda d: d[0])
    schedule = []
    for at, kind, terminal, key in due:
        path, raw = request_body(kind, terminal, now)
        headers = signing.sign(key, terminal, "POST", path, raw, now)  # type: ignore[arg-type]
        schedule.append((at, _http(path, raw, headers)))
    return schedule


def _beats(fleet: list[tuple[str, object]], rounds: int) -> list[bytes]:
    """`rounds` heartbeats of every terminal, round after round, signed now."""
    from wire import signing

    now, found = time.time(), []
    for _ in range(rounds):
        for terminal, key in fleet:
            path, raw = request_body("heartbeat", terminal, now)
            headers = signing.sign(key, terminal, "POST", path, raw, now)  # type: ignore[arg-type]
            found.append(_http(path, raw, headers))
    return found


def _http(path: str, raw: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(raw)}\r\n{head}\r\n"
    ).encode() + raw


async def _generate(port: int, schedule: list[tuple[float, bytes]]) -> dict[str, object]:
    """Open loop: each request sent when due, on a connection of its own, as a fleet's
    are (a terminal speaks once a minute; the backend keeps a connection 30 s)."""
    slots = asyncio.Semaphore(CONNECTIONS)
    latencies: list[float] = []
    counts = {"ok": 0}
    loop = asyncio.get_running_loop()
    start = loop.time() + 1.0

    async def send(due: float, request: bytes) -> None:
        good = False
        try:
            await asyncio.wait_for(slots.acquire(), GIVE_UP_S - (loop.time() - due))
        except TimeoutError:
            latencies.append((loop.time() - due) * 1000)
            return
        try:
            good = await asyncio.wait_for(_exchange(port, request), ANSWER_WITHIN_S)
        except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            slots.release()
        counts["ok"] += good
        latencies.append((loop.time() - due) * 1000)

    tasks = []
    for at, request in schedule:
        due = start + at
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(send(due, request)))
    await asyncio.gather(*tasks)
    return {"latencies_ms": latencies, **counts}


async def _exchange(port: int, request: bytes) -> bool:
    """One request on a connection of its own; whether it was answered 200."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        return await _answered(reader)
    finally:
        writer.close()


async def _answered(reader: asyncio.StreamReader) -> bool:
    """Read one response; whether it was 200."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next((int(v) for k, _, v in (x.partition(":") for x in lines[1:])
                   if k.lower() == "content-length"), 0)  # fmt: skip
    await reader.readexactly(length)
    return status == 200


def _postmaster(cluster: object) -> int | None:
    """The PostgreSQL server's first process (its backends are its children)."""
    if cluster is None:
        return None
    return int((cluster.data / "postmaster.pid").read_text().split()[0])  # type: ignore[attr-defined]


def _fresh_database(postgres_url: str | None, work: Path, size: int) -> str:
    """Each fleet size on an empty database of its own."""
    if postgres_url is None:
        return f"sqlite:///{work / f'fleet-{size}.db'}"
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE fleet_{size}")
    return postgres_url.rsplit("/", 1)[0] + f"/fleet_{size}"


if __name__ == "__main__":
    main()
