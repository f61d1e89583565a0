"""数据驾驶舱: hundreds of sessions' ends, sent as signed record batches by enrolled
terminals to a real backend, come back as funnels and handling times that match
what this test computes on its own (numpy) from the sessions it made; on SQLite and
on PostgreSQL; and as CSV that says the same."""

from __future__ import annotations

import csv
import io
import random
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

from backend import rollups
from kiosk.sync.client import BackendClient
from tests.backend.harness import fresh_database
from tests.services.backend import LiveBackend
from tests.sync.conftest import enrol
from wire.sync import Record, RecordBatch, SessionReport, StepReached, session_ended

PATHS = {  # each service's steps in order: (step, type, who)
    "id_renewal": [
        ("reason", "choose", "citizen"), ("read_card", "read_id_card", "machine"),
        ("eligibility", "backend", "machine"), ("photo_source", "choose", "citizen"),
        ("take_photo", "capture_photo", "machine"), ("contact", "form", "citizen"),
        ("check", "confirm", "citizen"), ("pay", "pay", "machine"),
        ("submit", "backend", "machine"), ("slip", "print", "machine"),
        ("finished", "done", "citizen"),
    ],
    "queue_ticket": [
        ("pick", "choose", "citizen"), ("ticket", "print", "machine"),
        ("finished", "done", "citizen"),
    ],
}  # fmt: skip
GIVE_UP = [("give_back", "take_back", "machine"), ("cancelled", "done", "citizen")]
TERMINALS = ["北京 海淀 1号机", "北京 海淀 2号机", "北京 朝阳 1号机"]
SESSIONS = 360
SPREAD_S = 20 * 86400  # sessions end over the last 20 days: whole weeks and loose days


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveBackend]:
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_service").url
    backend = LiveBackend(tmp_path / "backend", time.time,
                          fresh_database(request.param, tmp_path, url))  # fmt: skip
    backend.start()
    yield backend
    backend.stop()
    backend.app.state.engine.dispose()


def made_up(rng: random.Random, now: float) -> tuple[str, dict[str, Any]]:
    """One session's end: a service, how far it got, how it ended, its seconds."""
    service = rng.choice(list(PATHS))
    path = PATHS[service]
    last = rng.choices(range(len(path)), weights=[1] * (len(path) - 1) + [len(path)])[0]
    steps = path[: last + 1]
    if last == len(path) - 1:
        end, reason, exit_step = "finished", "done", None
    else:
        end = rng.choice(["cancelled", "timed_out", "failed", "refused"])
        reason = {"cancelled": "cancelled", "timed_out": rng.choice(["timeout", "session_timeout"]),
                  "failed": rng.choice(["offline", "hardware_error"]),
                  "refused": rng.choice(["minor", "not_due"])}[end]  # fmt: skip
        exit_step = steps[-1][0]
        steps = steps + GIVE_UP
    spent = [
        StepReached(step=s, kind=k, s=round(rng.uniform(0.5, 90.0), 1), who=w)  # type: ignore[arg-type]
        for s, k, w in steps
    ]
    report = SessionReport(end=end, reason=reason, exit_step=exit_step,  # type: ignore[arg-type]
                           duration_s=round(sum(s.s for s in spent), 1), steps=spent)  # fmt: skip
    outcome = {"finished": "done", "refused": "done", "timed_out": reason}.get(end, end)
    return service, session_ended(service, outcome, now - rng.uniform(0, SPREAD_S), report)


def one_terminal_sends(backend: LiveBackend, tmp_path: Path, count: int,
                       seed: int) -> list[dict[str, Any]]:  # fmt: skip
    """`count` made-up sessions' ends from one terminal at 北京 海淀, in one signed
    batch: what it sent."""
    identity = enrol(backend, tmp_path / "t.json", "北京 海淀 1号机")
    rng = random.Random(seed)
    sent = [made_up(rng, time.time())[1] for _ in range(count)]
    client = BackendClient(identity)
    client.call("POST", "/v1/records", RecordBatch(records=[
        Record(key=f"audit-{i:04d}", kind="audit", session=f"s-{i}", created_at=b["at"], body=b)
        for i, b in enumerate(sent)
    ]))  # fmt: skip
    client.close()
    return sent


def send(backend: LiveBackend, tmp_path: Path) -> list[dict[str, Any]]:
    """The sessions, from three terminals at two sites; what each terminal sent."""
    rng = random.Random(24)
    sent: list[dict[str, Any]] = []
    for n, name in enumerate(TERMINALS):
        identity = enrol(backend, tmp_path / f"t{n}.json", name)
        client = BackendClient(identity)
        records = []
        for i in range(SESSIONS // len(TERMINALS)):
            _, body = made_up(rng, time.time())
            records.append(Record(key=f"audit-{n}-{i:04d}", kind="audit", session=f"s-{n}-{i}",
                                  created_at=body["at"], body=body))  # fmt: skip
            sent.append({**body, "terminal": identity.terminal_id, "site": name.rsplit(" ", 1)[0]})
        # an older terminal's end: no steps, no reason
        old = {"event": "session_ended", "flow": "queue_ticket", "outcome": "cancelled",
               "at": time.time() - 60}  # fmt: skip
        records.append(Record(key=f"audit-{n}-old", kind="audit", session=f"s-{n}-old",
                              created_at=old["at"], body=old))  # fmt: skip
        sent.append({**old, "end": "cancelled", "reason": "cancelled", "exit_step": None,
                     "steps": None, "duration_s": None, "terminal": identity.terminal_id,
                     "site": name.rsplit(" ", 1)[0]})  # fmt: skip
        for start in range(0, len(records), 100):
            client.call("POST", "/v1/records", RecordBatch(records=records[start : start + 100]))
        # sent again, as the outbox does when a receipt was lost: counted once
        client.call("POST", "/v1/records", RecordBatch(records=records[:50]))
        client.close()
    return sent


def expected_funnel(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    reached = Counter(step for s in sessions for step in {x["step"] for x in s["steps"] or []})
    ends = Counter((s["end"], s["reason"]) for s in sessions)
    gave_up = Counter(s["exit_step"] for s in sessions
                      if s["end"] in ("cancelled", "timed_out") and s["exit_step"])  # fmt: skip
    return {"sessions": len(sessions), "reached": dict(reached), "ends": dict(ends),
            "gave_up": dict(gave_up)}  # fmt: skip


def got_funnel(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "sessions": group["sessions"],
        "reached": {s["step"]: s["reached"] for s in group["steps"]},
        "ends": {(e["end"], r["reason"]): r["count"] for e in group["ends"] for r in e["reasons"]},
        "gave_up": {s["step"]: s["count"] for s in group["gave_up"]},
    }


def test_funnels_and_handling_times_match_the_sessions_sent(live: LiveBackend, tmp_path):
    sent = send(live, tmp_path)
    viewer = live.console("watcher", role="viewer")
    url = f"{live.url}/console/api"

    funnel = viewer.get(f"{url}/funnel", timeout=30)
    assert funnel.status_code == 200, funnel.text
    groups = {g["service"]: g for g in funnel.json()["groups"]}
    assert set(groups) == set(PATHS)
    for service in PATHS:
        mine = [s for s in sent if s["flow"] == service]
        assert got_funnel(groups[service]) == expected_funnel(mine)
        ranked = [s["count"] for s in groups[service]["gave_up"]]
        assert ranked == sorted(ranked, reverse=True) and ranked[0] > 0
    assert sum(g["sessions"] for g in groups.values()) == SESSIONS + len(TERMINALS)

    by_site = viewer.get(f"{url}/funnel", params={"by": "site", "service": "id_renewal"},
                         timeout=30).json()["groups"]  # fmt: skip
    assert {g["group"] for g in by_site} == {"北京 海淀", "北京 朝阳"}
    for group in by_site:
        mine = [s for s in sent if s["flow"] == "id_renewal" and s["site"] == group["group"]]
        assert got_funnel(group) == expected_funnel(mine)
    one_site = viewer.get(f"{url}/funnel", params={"site": "北京 朝阳"}, timeout=30).json()
    assert sum(g["sessions"] for g in one_site["groups"]) == SESSIONS // 3 + 1

    durations = viewer.get(f"{url}/durations", timeout=30)
    assert durations.status_code == 200, durations.text
    for group in durations.json()["groups"]:
        mine = [s for s in sent if s["flow"] == group["service"] and s["steps"] is not None]
        whole = np.array([s["duration_s"] for s in mine])
        machine = np.array([sum(x["s"] for x in s["steps"] if x["who"] == "machine") for s in mine])
        citizen = np.array([sum(x["s"] for x in s["steps"] if x["who"] == "citizen") for s in mine])
        for name, values in (("duration", whole), ("machine", machine), ("citizen", citizen)):
            assert group[name]["n"] == len(values)
            assert near(group[name]["median"], np.median(values))
            assert near(group[name]["p90"], np.percentile(values, 90))
        for step in group["steps"]:
            values = np.array(
                [x["s"] for s in mine for x in s["steps"] if x["step"] == step["step"]]
            )
            assert step["n"] == len(values)
            assert near(step["median"], np.median(values))
            assert near(step["p90"], np.percentile(values, 90))

    # the same tables as CSV
    rows = list(csv.DictReader(io.StringIO(fetch_csv(viewer, f"{url}/funnel", table="steps"))))
    assert {(r["service"], r["step"]): int(r["reached"]) for r in rows} == {
        (g["service"], s["step"]): s["reached"] for g in groups.values() for s in g["steps"]
    }
    rows = list(csv.DictReader(io.StringIO(fetch_csv(viewer, f"{url}/funnel", table="gave_up"))))
    assert [(r["service"], r["step"], int(r["gave_up"])) for r in rows] == [
        (g["service"], s["step"], s["count"]) for g in groups.values() for s in g["gave_up"]
    ]
    rows = list(csv.DictReader(io.StringIO(fetch_csv(viewer, f"{url}/funnel", table="ends"))))
    assert sum(int(r["count"]) for r in rows) == SESSIONS + len(TERMINALS)
    rows = list(csv.DictReader(io.StringIO(fetch_csv(viewer, f"{url}/durations"))))
    table = {(r["service"], r["measure"]): r for r in rows}
    for group in durations.json()["groups"]:
        assert float(table[(group["service"], "duration")]["median_s"]) == pytest.approx(
            group["duration"]["median"]
        )
        assert float(table[(group["service"], "citizen")]["p90_s"]) == pytest.approx(
            group["citizen"]["p90"]
        )
    rows = list(csv.DictReader(io.StringIO(fetch_csv(viewer, f"{url}/durations", table="steps"))))
    assert len(rows) == sum(len(g["steps"]) for g in durations.json()["groups"])


def near(got: float, exact: float) -> bool:
    """Read from the roll-ups' histograms: within the bound docs/cockpit.md states (and
    the sums of seconds, rounded to 0.1 s on the way in, within 0.06 s)."""
    return abs(got - exact) <= rollups.ERROR_REL * exact + rollups.ERROR_ABS + 0.06


def fetch_csv(browser: requests.Session, url: str, **params: str) -> str:
    answer = browser.get(url, params={"format": "csv", **params}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return answer.content.decode("utf-8-sig")  # the byte-order mark spreadsheets want


def test_the_cockpit_is_for_signed_in_viewers_and_refuses_bad_questions(live, tmp_path):
    url = f"{live.url}/console/api"
    for path in ("funnel", "durations"):
        anonymous = requests.get(f"{url}/{path}", timeout=10)
        assert anonymous.status_code == 403
        assert anonymous.json()["code"] == "not_signed_in"
    viewer = live.console("watcher", role="viewer")
    for params in ({"by": "week"}, {"since": "yesterday"}, {"service": "id renewal!"},
                   {"format": "xlsx"}, {"terminal": "T-1"}):  # fmt: skip
        answer = viewer.get(f"{url}/funnel", params=params, timeout=10)
        assert answer.status_code == 422, params
        assert answer.json()["code"] == "invalid" and answer.json()["detail"]
    empty = viewer.get(f"{url}/durations", params={"by": "day"}, timeout=10)
    assert empty.status_code == 200 and empty.json()["groups"] == []
