"""The data cockpit's answers at scale (issue #24): a private PostgreSQL cluster, the
backend's schema, and a fleet's history made straight in SQL: `--terminals` (1,000)
at 20 sites, `--days` (90) of sessions' ends, about 30 a terminal a day (fewer at
weekends, most in the afternoon, China time), each with its steps and seconds, four
services; ratings of most finished sessions, about 8 % of them 1-2 stars, and their
follow-ups in every state; and the counter applications of every day, site and
service. The roll-ups (days, then weeks) are then made by the migrations' backfill
(backend/rollups.py `rebuild`, the same counting as ingest). The backend's app (one
API process, uvicorn, as `kiosk-backend serve` runs it) answers a signed-in viewer
over loopback; each view is asked a few times, the median kept: funnel, durations,
satisfaction, the self-service share and the follow-up list, over the last 30 and 90
days and by site. Prints one JSON object; `met`: each under 1 s.

    bench/cockpit.py [--terminals N] [--days D] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests.services.process import free_port, port_open, wait_until  # noqa: E402

TARGET_MS = 1000.0
# the backend's app (this tree's), as `kiosk-backend serve` makes it, in a process of its
# own on loopback (the console script would run the installed tree's subcommands)
SERVE = """import sys, pathlib, uvicorn
from backend.app import Settings, create_app
app = create_app(Settings(sys.argv[1], pathlib.Path(sys.argv[2])))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""
SITES = 20
PER_DAY = 30  # sessions a terminal a day, on average
PASSWORD = "a password for the bench"  # a private cluster, thrown away
# each service's path: (step, type, who, typical seconds)
PATHS = {
    "id_renewal": [
        ("reason", "choose", "citizen", 6), ("read_card", "read_id_card", "machine", 4),
        ("eligibility", "backend", "machine", 1.5), ("photo_source", "choose", "citizen", 5),
        ("take_photo", "capture_photo", "machine", 25), ("contact", "form", "citizen", 40),
        ("check", "confirm", "citizen", 15), ("pay", "pay", "machine", 35),
        ("submit", "backend", "machine", 2), ("slip", "print", "machine", 6),
        ("finished", "done", "citizen", 4),
    ],
    "queue_ticket": [
        ("pick", "choose", "citizen", 5), ("ticket", "print", "machine", 3),
        ("finished", "done", "citizen", 2),
    ],
    "proof": [
        ("read_card", "read_id_card", "machine", 4), ("which", "choose", "citizen", 8),
        ("fetch", "backend", "machine", 2), ("check", "confirm", "citizen", 12),
        ("print", "print", "machine", 20), ("finished", "done", "citizen", 3),
    ],
    "photo": [
        ("read_card", "read_id_card", "machine", 4), ("take_photo", "capture_photo", "machine", 30),
        ("pay", "pay", "machine", 30), ("slip", "print", "machine", 6),
        ("finished", "done", "citizen", 3),
    ],
}  # fmt: skip
SHARES = {"id_renewal": 0.4, "queue_ticket": 0.3, "proof": 0.2, "photo": 0.1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terminals", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=5, help="calls of each view (median)")
    args = parser.parse_args()
    from tests.services.postgres import PostgresCluster

    work = Path(tempfile.mkdtemp(prefix="kiosk-bench-cockpit-"))
    work.chmod(0o755)
    cluster = PostgresCluster(work / "pg")
    (work / "pg").mkdir()
    cluster.start()
    try:
        now = time.time()
        made = make_history(cluster.url, args.terminals, args.days, now)
        views = measure(cluster.url, work, args.repeat, now)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "bench": "cockpit", "database": "postgresql", "terminals": args.terminals,
        "sites": SITES, "days": args.days, **made, "target_ms": TARGET_MS,
        "repeat": args.repeat, "views_ms": views,
        "met": all(v["met"] for v in views.values() if "met" in v),
    }, ensure_ascii=False))  # fmt: skip


def make_history(url: str, terminals: int, days: int, now: float) -> dict[str, object]:
    """The schema, then the history in a few INSERT ... SELECT statements, then the
    roll-ups by the migration's backfill. Returns the counts and how long each took."""
    from backend import rollups
    from backend.db import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    paths = ", ".join(
        f"('{service}', {i}, '{step}', '{kind}', '{who}', {seconds}, {len(path)})"
        for service, path in PATHS.items()
        for i, (step, kind, who, seconds) in enumerate(path)
    )
    edges, total = [], 0.0
    for service, share in SHARES.items():
        total += share
        edges.append(f"WHEN r_service < {total:.3f} THEN '{service}'")
    first_day = rollups.day_of(now) - days + 1
    share = PER_DAY * terminals / SITES / len(PATHS)  # a site's sessions of a service a day
    # the counters take about as many applications as the terminals sessions
    counter = ", ".join(f"('{service}')" for service in PATHS)
    with engine.begin() as db:
        db.execute(text(f"""
            INSERT INTO terminals (id, public_key, name, enrolled_at, software_version,
                                   devices, consumables, outbox_depth, outbox_held)
            SELECT 'T' || lpad(to_hex(k), 12, '0'), 'bench:' || k,
                   '城市' || (k % {SITES}) || '区 ' || (k / {SITES}) || '号机', 0, 'bench',
                   '{{}}', '{{}}', 0, 0
            FROM generate_series(1, {terminals}) k"""))  # fmt: skip
        db.execute(text(f"""
            CREATE TEMP TABLE paths (service text, i int, step text, kind text, who text,
                                     seconds float, length int);
            INSERT INTO paths VALUES {paths};
            CREATE TEMP TABLE planned AS
            SELECT t.id AS terminal_id, d AS day,
                   round({PER_DAY} * (CASE WHEN extract(isodow FROM to_timestamp(
                       d * 86400.0)) IN (6, 7) THEN 0.68 ELSE 1.13 END)
                       * (0.6 + 0.8 * random()))::int AS n
            FROM terminals t, generate_series({first_day}, {first_day + days - 1}) d;
            CREATE TEMP TABLE ends AS
            SELECT row_number() OVER () AS seq, * FROM (
                SELECT p.terminal_id, {-rollups.CST_S} + p.day * 86400.0
                       + 3600 * (8 + 4 * (random() + random() + random())) AS ended_at,
                       CASE {" ".join(edges)} ELSE 'photo' END AS service,
                       random() AS r_done, random() AS r_last, random() AS r_end,
                       random() AS r_why
                FROM (SELECT *, random() AS r_service FROM planned, generate_series(1, n)) p
            ) made WHERE ended_at < {now};
            """))  # fmt: skip
        db.execute(text("""
            INSERT INTO service_sessions (record_seq, terminal_id, session, service,
                started_at, ended_at, outcome, "end", reason, exit_step, steps, duration_s,
                machine_s, citizen_s)
            SELECT e.seq, e.terminal_id, 's-' || e.seq, e.service, e.ended_at - x.total,
                   e.ended_at, CASE e.end_as WHEN 'finished' THEN 'done' WHEN 'refused'
                   THEN 'done' WHEN 'timed_out' THEN e.why ELSE e.end_as END,
                   e.end_as, e.why, CASE WHEN e.end_as <> 'finished' THEN x.exit END,
                   x.steps, x.total, x.machine, x.citizen
            FROM (
                SELECT ends.*, l.length,
                       CASE WHEN r_done < 0.72 THEN l.length - 1
                            ELSE floor(r_last * (l.length - 1))::int END AS last,
                       CASE WHEN r_done < 0.72 THEN 'finished' WHEN r_end < 0.4
                            THEN 'cancelled' WHEN r_end < 0.7 THEN 'timed_out'
                            WHEN r_end < 0.85 THEN 'failed' ELSE 'refused' END AS end_as,
                       CASE WHEN r_done < 0.72 THEN 'done' WHEN r_end < 0.4 THEN 'cancelled'
                            WHEN r_end < 0.7 THEN (CASE WHEN r_why < 0.8 THEN 'timeout'
                                                   ELSE 'session_timeout' END)
                            WHEN r_end < 0.85 THEN (CASE WHEN r_why < 0.6 THEN 'offline'
                                                    ELSE 'hardware_error' END)
                            WHEN r_why < 0.7 THEN 'not_due' ELSE 'minor' END AS why
                FROM ends JOIN (SELECT DISTINCT service, length FROM paths) l USING (service)
            ) e CROSS JOIN LATERAL (
                SELECT json_agg(json_build_object('step', p.step, 'kind', p.kind,
                                                  's', v.s, 'who', p.who) ORDER BY p.i) AS steps,
                       round(sum(v.s)::numeric, 1)::float AS total,
                       round(coalesce(sum(v.s) FILTER (WHERE p.who = 'machine'), 0)::numeric,
                             1)::float AS machine,
                       round(coalesce(sum(v.s) FILTER (WHERE p.who = 'citizen'), 0)::numeric,
                             1)::float AS citizen,
                       max(p.step) FILTER (WHERE p.i = e.last) AS exit
                FROM paths p CROSS JOIN LATERAL (
                    SELECT round((p.seconds * exp(0.9 * (random() + random() + random() - 1.5))
                                  + 0 * e.seq)::numeric, 1)::float AS s) v
                WHERE p.service = e.service AND p.i <= e.last
            ) x"""))  # fmt: skip
        db.execute(text("""
            INSERT INTO ratings (transaction, terminal_id, service, stars, received_at)
            SELECT session, terminal_id, service, stars, ended_at + 30 FROM (
                SELECT s.*, random() AS r_stars FROM service_sessions s
                WHERE "end" = 'finished' AND random() < 0.6) rated
            CROSS JOIN LATERAL (SELECT CASE WHEN r_stars < 0.03 THEN 1 WHEN r_stars < 0.08
                THEN 2 WHEN r_stars < 0.15 THEN 3 WHEN r_stars < 0.45 THEN 4 ELSE 5 END
                AS stars) s"""))  # fmt: skip
        db.execute(text(f"""
            INSERT INTO followups (transaction, terminal_id, service, stars, reason,
                opened_at, due_at, state, assignee, assigned_at, assigned_by, answer,
                answered_at, answered_by, closed_at, closed_by)
            SELECT transaction, terminal_id, service, stars,
                   (ARRAY['waiting', 'device_fault', 'too_complex', 'not_done', 'fee',
                          'other'])[1 + floor(random() * 6)::int],
                   received_at, received_at + 3 * 86400, state,
                   CASE WHEN state <> 'open' THEN 'duty' END,
                   CASE WHEN state <> 'open' THEN received_at + 3600 END,
                   CASE WHEN state <> 'open' THEN 'chief' END,
                   CASE WHEN state IN ('answered', 'closed') THEN '已回访' END,
                   CASE WHEN state IN ('answered', 'closed') THEN received_at + took END,
                   CASE WHEN state IN ('answered', 'closed') THEN 'duty' END,
                   CASE WHEN state = 'closed' THEN received_at + took + 600 END,
                   CASE WHEN state = 'closed' THEN 'duty' END
            FROM (SELECT r.*, 86400 * 4.5 * random() AS took,
                         CASE WHEN received_at < {now - 5 * 86400} AND random() < 0.9
                              THEN 'closed'
                              ELSE (ARRAY['open', 'assigned', 'answered'])[1 + floor(random()
                                   * 3)::int] END AS state
                  FROM ratings r WHERE stars <= 2) low"""))  # fmt: skip
        db.execute(text(f"""
            INSERT INTO counter_applications (day, site, service, count, imported_at,
                                              imported_by)
            SELECT d, '城市' || k || '区', service, floor(random() * {2 * share})::int, 0,
                   'bench'
            FROM generate_series({first_day}, {first_day + days - 1}) d,
                 generate_series(0, {SITES - 1}) k,
                 (VALUES {counter}) AS s (service)"""))  # fmt: skip
        tables = ("terminals", "service_sessions", "ratings", "followups", "counter_applications")
        counts = {t: db.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
    generated = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as db:
        rollups.rebuild(db)  # the migrations' backfill: the days, then the weeks
        for rolled in ("session_days", "session_weeks"):
            counts[rolled] = db.scalar(text(f"SELECT count(*) FROM {rolled}"))
    backfill = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return {"rows": counts, "generate_s": round(generated, 1), "backfill_s": round(backfill, 1)}


def measure(url: str, work: Path, repeat: int, now: float) -> dict[str, dict[str, object]]:
    from backend import operators
    from backend.db import make_engine

    engine = make_engine(url)
    operators.add(engine, "bench", "viewer", PASSWORD, time.time())
    engine.dispose()
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (work / "serve.log").open("wb")
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, url, str(work / "data"), str(port)],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(lambda: port_open(port), f"kiosk-backend serve ({work / 'serve.log'})",
                   timeout=600)  # fmt: skip
        print(f"serve answered after {time.perf_counter() - started:.1f} s", file=sys.stderr)
        base = f"http://127.0.0.1:{port}/console/api"
        browser = requests.Session()
        answer = browser.post(f"{base}/session", json={"name": "bench", "password": PASSWORD},
                              timeout=30)  # fmt: skip
        answer.raise_for_status()
        browser.headers[operators.CSRF_HEADER] = answer.json()["csrf"]
        d90 = {"since": now - 90 * 86400}
        asked: dict[str, tuple[str, dict[str, object], int]] = {}
        for view in ("funnel", "durations", "satisfaction"):
            asked[f"{view}_30d"] = (view, {}, repeat)
            asked[f"{view}_90d"] = (view, d90, repeat)
            asked[f"{view}_30d_by_site"] = (view, {"by": "site"}, repeat)
            asked[f"{view}_90d_by_site"] = (view, {**d90, "by": "site"}, repeat)
        for view in ("funnel", "durations"):
            asked[f"{view}_30d_by_day"] = (view, {"by": "day"}, repeat)
            asked[f"{view}_90d_one_site"] = (view, {**d90, "site": "城市7区"}, repeat)
        asked["share_30d"] = ("share", {}, repeat)
        asked["share_90d"] = ("share", d90, repeat)
        asked["share_90d_by_site_and_service"] = ("share", {**d90, "by": "site_service"}, repeat)
        asked["followups"] = ("followups", {}, repeat)
        asked["followups_overdue"] = ("followups", {"overdue": "true"}, repeat)
        asked["funnel_30d_by_terminal"] = ("funnel", {"by": "terminal"}, 1)  # not a target
        found: dict[str, dict[str, object]] = {}
        for name, (view, params, times) in asked.items():
            browser.get(f"{base}/{view}", params=params, timeout=120)  # warm
            took = []
            for _ in range(times):
                started = time.perf_counter()
                answer = browser.get(f"{base}/{view}", params=params, timeout=120)
                took.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
            ms = round(statistics.median(took), 1)
            found[name] = {"ms": ms, "bytes": len(answer.content)}
            if not name.endswith("by_terminal"):
                found[name]["met"] = ms < TARGET_MS
        return found
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


if __name__ == "__main__":
    main()
