"""好差评 follow-ups through a live backend on loopback: terminals send signed rating
records; operators, signed in by role, take the tickets through their lifecycle;
the satisfaction and closure rates are checked against a count made here, and the
CSV tables against the JSON ones."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from alembic import command
from alembic.config import Config
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from backend.db import MIGRATIONS, FollowUp, Rating
from backend.followups import DEFAULT_DUE_S
from tests.backend.conftest import NAMES, Fleet, cells, parsed
from tests.backend.harness import Backend, record
from wire.sync import Record, RecordBatch

SITES = {name: name.rsplit(" ", 1)[0] for name in NAMES}  # the fleet's terminals' sites
SERVICES = ("id_renewal", "proof", "photo")
REASONS = ("waiting", "device_fault", "too_complex", "not_done", "fee", "other")
DAY = 86400.0


@dataclass
class Rated:
    key: str
    terminal: str  # its name
    transaction: str
    service: str
    stars: int
    reason: str | None


def send(fleet: Fleet, ratings: list[Rated]) -> None:
    """Each terminal's ratings in batches of 100, as its outbox would."""
    by_terminal: dict[str, list[Record]] = defaultdict(list)
    for r in ratings:
        body: dict[str, Any] = {"transaction": r.transaction, "service": r.service,
                                "stars": r.stars}  # fmt: skip
        if r.reason is not None:
            body["reason"] = r.reason
        by_terminal[r.terminal].append(Record(key=f"rating-{r.key}", kind="rating",
                                              session=r.transaction, created_at=fleet.clock(),
                                              body=body))  # fmt: skip
    for name, records in by_terminal.items():
        for at in range(0, len(records), 100):
            batch = RecordBatch(records=records[at : at + 100])
            reply = fleet.clients[name].call("POST", "/v1/records", batch).json()
            assert reply["refused"] == []


def generated(count: int, seed: int, prefix: str) -> list[Rated]:
    rng = random.Random(seed)
    return [
        Rated(key=f"{prefix}-{i}", terminal=rng.choice(list(SITES)),
              transaction=f"{prefix}-s{i}", service=rng.choice(SERVICES),
              stars=rng.choice([1, 2, 3, 4, 5, 5, 4]),
              reason=rng.choice([None, *REASONS]) if rng.random() < 0.5 else None)
        for i in range(count)
    ]  # fmt: skip


def tickets(fleet: Fleet, browser: requests.Session, **params: Any) -> list[dict[str, Any]]:
    return list(fleet.get(browser, "/console/api/followups", limit=1000, **params)["followups"])


@pytest.mark.parametrize("fleet", ["sqlite", "postgresql"], indirect=True)
def test_each_low_rating_opens_one_ticket_and_a_resend_none(fleet: Fleet) -> None:
    ratings = generated(300, seed=24, prefix="a")
    # a second rating of a transaction (another key): the first one counts
    again = [Rated(f"{r.key}-again", r.terminal, r.transaction, r.service, 1, None)
             for r in ratings[:40]]  # fmt: skip
    send(fleet, ratings)
    send(fleet, ratings + again)  # the outbox sent them again (its receipts were lost)
    # new ones twice at the very same moment: both requests may find nothing stored,
    # one insert wins and the other is told they are duplicates
    fresh = generated(100, seed=5, prefix="c")
    with ThreadPoolExecutor(2) as pool:
        for sent in [pool.submit(send, fleet, fresh) for _ in "ab"]:
            sent.result()  # neither was refused
    ratings += fresh
    low = {r.transaction: r for r in ratings if r.stars <= 2}
    assert 80 < len(low) < 160  # the generator made both kinds
    viewer = fleet.backend.console("vera", role="viewer")
    listed = tickets(fleet, viewer)
    assert sorted(t["transaction"] for t in listed) == sorted(low)
    for t in listed:
        rating = low[t["transaction"]]
        assert (t["stars"], t["service"], t["reason"], t["where"], t["state"]) == (
            rating.stars, rating.service, rating.reason, rating.terminal, "open")  # fmt: skip
        assert t["terminal"] == fleet.ids[rating.terminal]
        assert t["site"] == SITES[rating.terminal]
        assert t["due_at"] == t["opened_at"] + DEFAULT_DUE_S and not t["overdue"]
    with Session(fleet.backend.app.state.engine) as db:
        assert db.scalar(select(func.count()).select_from(FollowUp)) == len(low)
    summary = fleet.get(viewer, "/console/api/summary")
    assert summary["followups"] == {"open": len(low), "overdue": 0}


def test_the_lifecycle_by_role(fleet: Fleet) -> None:
    send(fleet, [Rated("k1", "北京 海淀 1号机", "s1", "proof", 1, "waiting"),
                Rated("k2", "北京 海淀 1号机", "s2", "proof", 5, None)])  # fmt: skip
    viewer = fleet.backend.console("vera", role="viewer")
    otto = fleet.backend.console("otto", role="operator")
    (ticket,) = tickets(fleet, viewer)
    where = f"/console/api/followups/{ticket['id']}"

    answer = fleet.post(viewer, f"{where}/assign", {"assignee": "otto"})
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    for action, body in (("close", None), ("answer", {"text": "called back"})):
        answer = fleet.post(otto, f"{where}/{action}", body)  # not yet: it is open
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "wrong_state" and "is open" in answer.json()["detail"]
    assert fleet.post(otto, f"{where}/assign", {"assignee": "vera"}).status_code == 422  # a viewer
    assert fleet.post(otto, "/console/api/followups/999/assign", {"assignee": "otto"}
                      ).status_code == 404  # fmt: skip

    fleet.clock.advance(60)
    assigned = fleet.post(otto, f"{where}/assign", {"assignee": "otto"}).json()
    assert (assigned["state"], assigned["assignee"], assigned["assigned_by"]) == (
        "assigned", "otto", "otto")  # fmt: skip
    assert assigned["assigned_at"] == fleet.clock()
    fleet.clock.advance(60)
    assert fleet.post(otto, f"{where}/close").status_code == 409  # not answered yet
    answered = fleet.post(otto, f"{where}/answer", {"text": "回访：已致电，设备已修复"}).json()
    assert (answered["state"], answered["answer"], answered["answered_by"]) == (
        "answered", "回访：已致电，设备已修复", "otto")  # fmt: skip
    assert fleet.post(otto, f"{where}/assign", {"assignee": "otto"}).status_code == 409
    fleet.clock.advance(60)
    closed = fleet.post(otto, f"{where}/close").json()
    assert (closed["state"], closed["closed_by"], closed["closed_at"]) == (
        "closed", "otto", fleet.clock())  # fmt: skip
    assert fleet.post(otto, f"{where}/close").status_code == 409
    assert tickets(fleet, viewer, state="open") == []
    assert [t["id"] for t in tickets(fleet, viewer, state="closed")] == [ticket["id"]]

    chief = fleet.backend.console()
    entries = fleet.get(chief, "/console/api/audit")["entries"]
    done = [(e["actor"], e["action"], e["target"]) for e in entries if "followup" in e["action"]]
    target = f"followup {ticket['id']}"
    assert done == [("otto", "followup_close", target), ("otto", "followup_answer", target),
                    ("otto", "followup_assign", target)]  # fmt: skip


def test_a_ticket_past_its_deadline_is_overdue_until_closed(fleet: Fleet) -> None:
    fleet.backend.app.state.followup_due_s = DAY  # serve --followup-days 1
    send(fleet, [Rated("k1", "上海 浦东 1号机", "s1", "photo", 2, None)])
    fleet.clock.advance(DAY - 1)
    send(fleet, [Rated("k2", "上海 浦东 1号机", "s2", "photo", 1, None)])
    viewer = fleet.backend.console("vera", role="viewer")
    assert [t["overdue"] for t in tickets(fleet, viewer)] == [False, False]
    fleet.clock.advance(2)
    viewer = fleet.backend.console("vera", role="viewer")  # the session was idle too long
    first, second = tickets(fleet, viewer)
    assert (first["transaction"], first["overdue"], second["overdue"]) == ("s1", True, False)
    assert [t["transaction"] for t in tickets(fleet, viewer, overdue="true")] == ["s1"]
    assert [t["transaction"] for t in tickets(fleet, viewer, overdue="false")] == ["s2"]
    assert fleet.get(viewer, "/console/api/summary")["followups"] == {"open": 2, "overdue": 1}

    otto = fleet.backend.console("otto", role="operator")
    where = f"/console/api/followups/{first['id']}"
    fleet.post(otto, f"{where}/assign", {"assignee": "otto"}).raise_for_status()
    fleet.post(otto, f"{where}/answer", {"text": "late, but called"}).raise_for_status()
    fleet.post(otto, f"{where}/close").raise_for_status()
    assert [t["overdue"] for t in tickets(fleet, viewer)] == [False, False]
    assert fleet.get(viewer, "/console/api/summary")["followups"] == {"open": 1, "overdue": 0}
    total = fleet.get(viewer, "/console/api/satisfaction", since=0)["total"]
    assert (total["opened"], total["closed"], total["closed_in_time"]) == (2, 1, 0)


def test_satisfaction_and_closure_rates_and_their_csv(fleet: Fleet) -> None:
    old = generated(60, seed=7, prefix="old")
    send(fleet, old)  # before the window asked for
    fleet.clock.advance(DAY)
    since = fleet.clock()
    ratings = generated(240, seed=25, prefix="new")
    send(fleet, ratings)
    otto = fleet.backend.console("otto", role="operator")
    rng = random.Random(3)
    ids = {t["transaction"]: t["id"] for t in tickets(fleet, otto)}
    closed_in_time, closed_late = set(), set()
    for transaction in sorted(ids):
        if not transaction.startswith("new") or rng.random() < 0.4:
            continue  # left open (and the old window's are not counted anyway)
        where = f"/console/api/followups/{ids[transaction]}"
        fleet.post(otto, f"{where}/assign", {"assignee": "otto"}).raise_for_status()
        fleet.post(otto, f"{where}/answer", {"text": "called back"}).raise_for_status()
        if rng.random() < 0.5:
            fleet.post(otto, f"{where}/close").raise_for_status()
            closed_in_time.add(transaction)
        else:
            closed_late.add(transaction)
    fleet.clock.advance(DEFAULT_DUE_S + 1)
    otto = fleet.backend.console("otto", role="operator")
    for transaction in sorted(closed_late):
        fleet.post(otto, f"/console/api/followups/{ids[transaction]}/close").raise_for_status()
    until = fleet.clock()

    for by, key_of in (("service", lambda r: r.service), ("site", lambda r: SITES[r.terminal])):
        got = fleet.get(otto, "/console/api/satisfaction", since=since, until=until, by=by)
        expected: dict[str, Counter[str]] = defaultdict(Counter)
        for r in ratings:
            for key in (key_of(r), "*"):
                row = expected[key]
                row["ratings"] += 1
                row["satisfied"] += r.stars >= 4
                row["stars"] += r.stars
                row["opened"] += r.stars <= 2
                row["closed"] += r.transaction in closed_in_time | closed_late
                row["closed_in_time"] += r.transaction in closed_in_time
        assert [g["key"] for g in got["groups"]] == sorted(k for k in expected if k != "*")
        for group in [*got["groups"], got["total"]]:
            want = expected[group["key"]]
            for name in ("ratings", "satisfied", "opened", "closed", "closed_in_time"):
                assert group[name] == want[name], (by, group["key"], name)
            assert group["satisfaction"] == pytest.approx(want["satisfied"] / want["ratings"],
                                                          abs=1e-4)  # fmt: skip
            assert group["mean"] == pytest.approx(want["stars"] / want["ratings"], abs=1e-3)
            assert group["closure"] == pytest.approx(want["closed"] / want["opened"], abs=1e-4)
            assert group["closure_in_time"] == pytest.approx(
                want["closed_in_time"] / want["opened"], abs=1e-4)  # fmt: skip
        assert got["total"]["ratings"] == 240  # the old ones are before `since`
        table = fleet.get(otto, "/console/api/satisfaction", since=since, until=until, by=by,
                          format="csv")  # fmt: skip
        assert table.headers["content-type"].startswith("text/csv")
        assert parsed(table) == [cells(g) for g in [*got["groups"], got["total"]]]

    listed = fleet.get(otto, "/console/api/followups", limit=1000)
    table = fleet.get(otto, "/console/api/followups", limit=1000, format="csv")
    rows = parsed(table)
    assert len(rows) == len(listed["followups"]) > 50
    assert rows == [cells(t) for t in listed["followups"]]
    assert rows[0]["where"] in SITES  # Chinese survives the round trip


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_reason_is_a_code_from_the_list_and_optional(backend: Backend) -> None:
    terminal = backend.enrol()
    reply = terminal.records(
        record("rating-without", session="s1", transaction="s1", stars=1),
        record("rating-coded", session="s2", transaction="s2", stars=2, reason="device_fault"),
        record("rating-free", session="s3", transaction="s3", stars=1, reason="王先生 138..."),
    ).json()
    assert [r["key"] for r in reply["refused"]] == ["rating-free"]
    listed = backend.operator("GET", "/console/api/followups").json()["followups"]
    assert {t["transaction"]: t["reason"] for t in listed} == {"s1": None, "s2": "device_fault"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_0011_comes_off_and_back_with_the_ratings_kept(backend: Backend) -> None:
    terminal = backend.enrol()
    terminal.records(record("rating-one", transaction="s1", stars=1))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = backend.app.state.engine
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")  # 0012 (the cockpit's roll-ups) and 0011 off
    assert "followups" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    terminal.records(record("rating-two", session="s2", transaction="s2", stars=2))
    listed = backend.operator("GET", "/console/api/followups").json()["followups"]
    assert [t["transaction"] for t in listed] == ["s2"]  # s1 was rated before the table
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Rating)) == 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_sign_in_and_the_role_are_checked_before_the_body(backend: Backend) -> None:
    """Nobody signed in, and a viewer, learn nothing about what they sent: 403 first,
    as for a body that is right; an operator is told what is wrong with it (422)."""
    json = {"content-type": "application/json"}
    viewer = backend.signed_in("vera", "a password for vera", role="viewer")
    operator = backend.signed_in("otto", "a password for otto", role="operator")
    for action in ("assign", "answer"):
        path = f"/console/api/followups/1/{action}"
        for body in (b"{not json", b"[]", b'{"text": ""}', b'{"assignee": "NO ONE"}'):
            nobody = backend.http.post(path, content=body, headers=json)
            assert (nobody.status_code, nobody.json()["code"]) == (403, "not_signed_in"), body
            seen = viewer.post(path, content=body, headers=json)
            assert (seen.status_code, seen.json()["code"]) == (403, "forbidden"), body
            told = operator.post(path, content=body, headers=json)
            assert (told.status_code, told.json()["code"]) == (422, "invalid"), body
            assert told.json()["detail"].startswith("body"), told.json()
        right = {"assign": b'{"assignee": "otto"}', "answer": b'{"text": "called back"}'}[action]
        assert operator.post(path, content=right, headers=json).status_code == 404  # no ticket 1
