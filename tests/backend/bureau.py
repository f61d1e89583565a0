"""A bureau's day, made up with a fixed seed and sent to a real backend as the
terminals send it (signed record batches, heartbeats): four sites, nine terminals
(one enrolled before terminals had a site: its name says it), sessions from 08:00 to
17:30 with the morning and afternoon peaks, a few from yesterday, some device faults,
one terminal offline, one low on paper, a few low ratings (two of them overdue
follow-ups). What was sent is returned, for the tests to count on their own."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kiosk.sync.client import BackendClient
from kiosk.sync.identity import Identity
from tests.backend.harness import Clock
from tests.services.backend import LiveBackend
from wire import crypto
from wire.signing import public_key_text
from wire.sync import (
    DeviceReport,
    EnrolmentReply,
    EnrolmentRequest,
    Heartbeat,
    OutboxReport,
    Record,
    RecordBatch,
    SessionReport,
    StepReached,
    session_ended,
)

CST = timezone(timedelta(hours=8))
# 2026-11-18, a Wednesday, 17:30 in Beijing: the day's end as the wall shows it
NOW = datetime(2026, 11, 18, 17, 30, tzinfo=CST).timestamp()
DAY_START = datetime(2026, 11, 18, 0, 0, tzinfo=CST).timestamp()
ZGC = "北京市公安局海淀分局 中关村派出所"
XYL = "北京市公安局海淀分局 学院路派出所"
WJ = "北京市公安局朝阳分局 望京派出所"
TERMINALS = [  # name, site given at enrolment (None: an older terminal), devices, paper
    ("中关村 1号机", ZGC, {}, 320),
    ("中关村 2号机", ZGC, {"printer": ("fault", "卡纸 paper jam")}, 150),
    ("中关村 3号机", ZGC, {}, 20),
    ("学院路 1号机", XYL, {}, 400),
    ("学院路 2号机", XYL, {"camera": ("offline", "USB")}, 280),
    ("望京 1号机", WJ, {}, 500),
    ("望京 2号机", WJ, {}, 90),
    ("北京 朝阳 三里屯 1号机", None, {}, 260),
    ("北京 朝阳 三里屯 2号机", None, {}, 310),
]
OFFLINE = "望京 2号机"  # its last heartbeat an hour ago
SERVICES = {  # service: (weight, its steps (step, type, who)), steps of its flow file
    "id_renewal": (5, [("reason", "choose", "citizen"), ("read_card", "read_id_card", "machine"),
                       ("take_photo", "capture_photo", "machine"), ("check", "confirm", "citizen"),
                       ("pay", "pay", "machine"), ("slip", "print", "machine"),
                       ("finished", "done", "citizen")]),
    "criminal_record_proof": (3, [("read_card", "read_id_card", "machine"),
                                  ("query", "backend", "machine"),
                                  ("print_proof", "print", "machine"),
                                  ("finished", "done", "citizen")]),
    "id_photo": (2, [("take_photo", "capture_photo", "machine"), ("store", "backend", "machine"),
                     ("finished", "done", "citizen")]),
    "permit_endorsement": (2, [("insert_permit", "read_document_chip", "machine"),
                               ("kind", "choose", "citizen"), ("pay", "pay", "machine"),
                               ("finished", "done", "citizen")]),
    "queue_ticket": (4, [("how", "choose", "citizen"), ("ticket", "print", "machine"),
                         ("finished", "done", "citizen")]),
}  # fmt: skip


@dataclass
class Day:
    terminals: dict[str, dict[str, Any]] = field(default_factory=dict)  # id: what it is
    sessions: list[dict[str, Any]] = field(default_factory=list)  # with terminal, ended_at
    ratings: list[dict[str, Any]] = field(default_factory=list)  # with terminal, received_at


def enrol(backend: LiveBackend, path: Path, name: str, site: str | None) -> Identity:
    key = crypto.suite(backend.settings.crypto_suite).generate_private_key()
    from kiosk.sync.client import post_unsigned

    ask = EnrolmentRequest(code=backend.code(), public_key=public_key_text(key.public),
                           name=name, software_version="0.4.0-1", site=site)  # fmt: skip
    reply = EnrolmentReply.model_validate(post_unsigned(backend.url + "/v1/enrol", ask, 10))
    identity = Identity(reply.terminal_id, backend.url, key)
    identity.save(path)
    return identity


def _hour(rng: random.Random) -> float:
    """A moment of the day between 08:00 and 17:30, busier at 10 and 15."""
    while True:
        hour = rng.gauss(rng.choice([10.0, 10.0, 15.2, 15.2, 11.8]), 1.3)
        if 8.0 <= hour < 17.5:
            return DAY_START + hour * 3600


def _session(rng: random.Random, service: str, at: float) -> tuple[dict[str, Any], bool]:
    path = SERVICES[service][1]
    finished = rng.random() < 0.82
    last = len(path) - 1 if finished else rng.randrange(len(path) - 1)
    steps = [StepReached(step=s, kind=k, s=round(rng.uniform(4, 70), 1), who=w)  # type: ignore[arg-type]
             for s, k, w in path[: last + 1]]  # fmt: skip
    if finished:
        spent = round(sum(s.s for s in steps), 1)
        report = SessionReport(end="finished", reason="done", exit_step=None, duration_s=spent,
                               steps=steps)  # fmt: skip
        return session_ended(service, "done", at, report), True
    end = rng.choice(["cancelled", "cancelled", "timed_out", "failed"])
    reason = {"cancelled": "cancelled", "timed_out": "timeout", "failed": "hardware_error"}[end]
    report = SessionReport(end=end, reason=reason, exit_step=path[last][0],  # type: ignore[arg-type]
                           duration_s=round(sum(s.s for s in steps), 1), steps=steps)  # fmt: skip
    outcome = {"timed_out": "timeout"}.get(end, end)
    return session_ended(service, outcome, at, report), False


def bureau_day(backend: LiveBackend, clock: Clock, folder: Path, seed: int = 24,
               warnings: bool = False) -> Day:  # fmt: skip
    """Sends the day; leaves the clock at NOW. `warnings`: also what raises two early
    warnings (a terminal's paper falling all afternoon; 望京's sessions of the same
    evening hour, four weeks running, above its two terminals' capacity)."""
    rng = random.Random(seed)
    day = Day()
    names = list(SERVICES)
    weights = [SERVICES[s][0] for s in names]
    clock.now = NOW - 5 * 86400  # two low ratings rated five days ago: overdue by now
    clients = []
    for n, (name, site, devices, paper) in enumerate(TERMINALS):
        identity = enrol(backend, folder / f"t{n}.json", name, site)
        clients.append(BackendClient(identity, clock=clock))
        shown = site if site is not None else name.rsplit(" ", 1)[0]
        day.terminals[identity.terminal_id] = {
            "name": name, "site": shown, "devices": devices, "paper": paper,
            "online": name != OFFLINE,
        }  # fmt: skip
    old = clients[1]
    ratings = [Record(key=f"rating-old-{i}", kind="rating", session=f"old-{i}", created_at=clock(),
                      body={"transaction": f"old-{i}", "service": "id_renewal", "stars": stars,
                            "reason": "waiting"}) for i, stars in enumerate((1, 2))]  # fmt: skip
    old.call("POST", "/v1/records", RecordBatch(records=ratings))
    for body in (r.body for r in ratings):
        day.ratings.append({**body, "terminal": old.identity.terminal_id, "received_at": clock()})
    clock.now = NOW - 1800
    for n, client in enumerate(clients):
        tid = client.identity.terminal_id
        busy = 1.6 if n in (0, 3, 5) else 1.0
        records: list[Record] = []
        for i in range(int(rng.uniform(20, 34) * busy)):
            service = rng.choices(names, weights)[0]
            at = _hour(rng) if i % 15 else DAY_START - rng.uniform(3600, 40000)  # some yesterday
            body, finished = _session(rng, service, at)
            records.append(Record(key=f"audit-{n}-{i}", kind="audit", session=f"s-{n}-{i}",
                                  created_at=at, body=body))  # fmt: skip
            day.sessions.append({**body, "terminal": tid, "ended_at": at})
            if finished and at >= DAY_START and rng.random() < 0.45:
                stars = rng.choices([5, 4, 3, 2, 1], [62, 22, 8, 5, 3])[0]
                rating = {"transaction": f"s-{n}-{i}", "service": service, "stars": stars}
                if stars <= 2:
                    rating["reason"] = rng.choice(["waiting", "device_fault", "too_complex"])
                records.append(Record(key=f"rating-{n}-{i}", kind="rating", session=f"s-{n}-{i}",
                                      created_at=at, body=rating))  # fmt: skip
                day.ratings.append({**rating, "terminal": tid, "received_at": clock()})
        for start in range(0, len(records), 100):
            client.call("POST", "/v1/records", RecordBatch(records=records[start : start + 100]))
    if warnings:
        _warning_signs(clients, clock, rng)
    for client, (name, _site, devices, paper) in zip(clients, TERMINALS, strict=True):
        clock.now = NOW - 3600 if name == OFFLINE else NOW - 30
        client.call("POST", "/v1/heartbeat", Heartbeat(
            terminal_time=clock(), software_version="0.4.0-1",
            devices={"printer": DeviceReport(status="online"),
                     **{d: DeviceReport(status=s, detail=why) for d, (s, why) in devices.items()}},
            consumables={"paper": paper}, outbox=OutboxReport(depth=0, oldest_age_s=None),
        ))  # fmt: skip
        client.close()
    clock.now = NOW
    return day


LOW_PAPER = "中关村 3号机"  # its paper falls all afternoon, to the 20 sheets it ends with


def _warning_signs(clients: list[BackendClient], clock: Clock, rng: random.Random) -> None:
    names = [name for name, *_ in TERMINALS]
    low = clients[names.index(LOW_PAPER)]
    for i in range(9):  # 13:30 to 17:30, sheets 92 falling to 28 (the last beat says 20)
        clock.now = NOW - (8 - i) * 1800 - 60
        low.call("POST", "/v1/heartbeat", Heartbeat(
            terminal_time=clock(), software_version="0.4.0-1",
            devices={"printer": DeviceReport(status="online")},
            consumables={"paper": 92 - 8 * i}, outbox=OutboxReport(depth=0, oldest_age_s=None),
        ))  # fmt: skip
    wangjing = clients[names.index("望京 1号机")]
    evening = NOW + 1800  # 18:00, in each of the four weeks before
    records = []
    for week in range(1, 5):
        for i in range(15 + week % 2):  # 15 or 16 an hour: two terminals take 12
            at = evening - week * 7 * 86400 + rng.uniform(0, 3599)
            body, _ = _session(rng, "queue_ticket", at)
            records.append(Record(key=f"audit-evening-{week}-{i}", kind="audit",
                                  session=f"e-{week}-{i}", created_at=at, body=body))  # fmt: skip
    clock.now = NOW - 600
    wangjing.call("POST", "/v1/records", RecordBatch(records=records))


def counter_days(backend: LiveBackend) -> list[tuple[str, str, str, int]]:
    """The counter system's figures of yesterday and today for the bureau's sites,
    imported by an administrator on the console; the rows, for the tests."""
    rng = random.Random(7)
    sites = sorted({site or name.rsplit(" ", 1)[0] for name, site, *_ in TERMINALS})
    rows = [(day, site, service, rng.randint(2, 30))
            for day in ((NOW - 86400), NOW) for site in sites for service in SERVICES
            if service != "queue_ticket"]  # fmt: skip
    table = "date,site,service,count\r\n" + "".join(
        f"{datetime.fromtimestamp(day, CST).date()},{site},{service},{n}\r\n"
        for day, site, service, n in rows)  # fmt: skip
    with backend.console() as chief:
        answer = chief.post(f"{backend.url}/console/api/counter", data=table.encode(),
                            headers={"Content-Type": "text/csv"}, timeout=10)  # fmt: skip
        answer.raise_for_status()
    return [(str(datetime.fromtimestamp(day, CST).date()), site, service, n)
            for day, site, service, n in rows]  # fmt: skip
