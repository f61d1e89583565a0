"""A known terminal's record batch (backend/records.py `_quick_batch`): its check with
the batch's writes, on a connection of the pool whose commit waits for the disk, a
session only for the records' indexes; on PostgreSQL inside the batch's one statement
(backend/auth.py `checked_in`) on a worker thread, on SQLite as the check's statements
before the batch's (`checked_here`) on the event loop. It stores what the whole check
and `ingest` store, index rows and all; and whatever it cannot answer (a key stored
before or reused, a record refused, a replay, a revoked terminal, a spent allowance)
it leaves to them, having written nothing. On both databases."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from backend import auth, records
from backend.auth import SignedCall
from backend.limits import Limit, Limits
from backend.release_cli import stage
from backend.statements import Alone
from backend.vault import vault_of
from tests.backend.harness import Backend, Terminal, fresh_database, record
from tests.backend.test_help import CALL
from tests.backend.test_phone_on_file import CITIZEN
from wire import signing
from wire.sync import Record

JPEG = "/9j/4AAQSkZJRgABAQ=="
# what each of two terminals sends, `{t}` its own tag: every table an index is kept in
ENDED = {"event": "session_ended", "flow": "photo", "outcome": "done", "end": "finished",
         "reason": "finished", "at": 1795000100.0, "started_at": 1795000000.0,
         "duration_s": 100.0, "exit_step": None,
         "steps": [{"step": "camera", "kind": "capture", "s": 60.0, "who": "citizen"},
                   {"step": "print", "kind": "print", "s": 40.0, "who": "machine"}]}  # fmt: skip
OUTCOME = {"from": "0.1.0", "to": "0.2.0", "result": "rolled_back", "reason": "watchdog",
           "at": 1700000000.0}  # fmt: skip


def batch(t: str) -> list[dict[str, Any]]:
    return [
        record(f"{t}-application", kind="application", service="id_renewal",
               receipt=f"A{t}0000001", id_number=CITIZEN, delivery="pickup",
               phone="13912345678"),
        record(f"{t}-photo-0001", kind="photo", receipt=f"T0123456789{t}-48219377-1029482-B",
               jpeg_base64=JPEG, id_number=CITIZEN),
        record(f"{t}-rating-001", kind="rating", transaction=f"tx-{t}", stars=1,
               service="photo", reason="waiting"),
        record(f"{t}-help-00001", kind="help", session="s1", **CALL),
        record(f"{t}-ended-0001", kind="audit", session=f"s-{t}", **ENDED),
        record(f"{t}-device-001", kind="device_event", session=None, at=1795000050.0,
               changes={"printer": {"status": "paper_low"}}),
        record(f"{t}-outcome-01", kind="update_outcome", session=None, **OUTCOME),
    ]  # fmt: skip


@pytest.fixture(autouse=True)
def never_by_chance(monkeypatch: pytest.MonkeyPatch) -> None:
    """No batch sent to the whole check at random (the one in 500 that forgets old
    nonces, backend/auth.py `_FORGET_NONCES`): each test says which path it expects."""
    monkeypatch.setattr(auth, "_FORGET_NONCES", 0.0)


class Paths:
    """Which path each signed request took: the whole check (`SignedCall._once`), the
    batch's quick path past its first refusals (`_quickly_stored`), or the heartbeat's
    (`Alone`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.taken: list[str] = []
        whole, quick, alone = SignedCall._once, records._quickly_stored, Alone.rows

        def once(call: SignedCall, *args: Any) -> Any:
            self.taken.append("whole")
            return whole(call, *args)

        def checked(*args: Any) -> Any:
            self.taken.append("quick")
            return quick(*args)

        def beat(*args: Any) -> Any:
            self.taken.append("alone")
            return alone(*args)

        monkeypatch.setattr(SignedCall, "_once", once)
        monkeypatch.setattr(records, "_quickly_stored", checked)
        monkeypatch.setattr(Alone, "rows", beat)

    def since(self, mark: int) -> list[str]:
        return self.taken[mark:]


# each table's rows, without what differs between two copies of one write: numbering,
# and what is sealed under a fresh data key
TABLES = ["records", "photos", "phones_on_file", "ratings", "followups", "help_requests",
          "service_sessions", "session_days", "alerts", "audit_log", "seen_nonces"]  # fmt: skip
WHERE = {"audit_log": "WHERE action = 'release_withdrawn'"}  # not the test's own staging
UNLIKE = {
    "seq",
    "id",
    "record_seq",
    "sealed",
    "sealed_key",
    "nonce",
    "at",
    "session_id",
    "body_hash",
}  # the last: over the body, which holds its terminal's words


def rows(backend: Backend, tokens: dict[str, str]) -> dict[str, Counter[str]]:
    """Every table's rows as text, each terminal's own words (its id, tag, site) put
    as one placeholder, so that the same writes of two terminals read the same."""
    pattern = re.compile("|".join(map(re.escape, sorted(tokens, key=len, reverse=True))))
    found = {}
    with backend.app.state.engine.connect() as db:
        for table in TABLES:
            result = db.execute(text(f"SELECT * FROM {table} {WHERE.get(table, '')}"))
            names = list(result.keys())
            found[table] = Counter(
                pattern.sub(lambda m: tokens[m.group(0)], json.dumps(
                    {n: v for n, v in zip(names, row, strict=True) if n not in UNLIKE},
                    sort_keys=True, ensure_ascii=False, default=str,
                ))
                for row in result
            )  # fmt: skip
        terminals = db.execute(text("SELECT id, CAST(last_update AS TEXT), staged_version "
                                    "FROM terminals")).all()  # fmt: skip
    found["terminals"] = Counter(pattern.sub(lambda m: tokens[m.group(0)], str(tuple(t)))
                                 for t in terminals)  # fmt: skip
    return found


def test_a_known_terminals_batch_stores_what_the_whole_check_stores(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths(monkeypatch)
    quick, whole = backend.enrol("东城 1号机"), backend.enrol("西城 1号机")
    stage(backend.app.state.engine, "0.2.0", [quick.id, whole.id], backend.clock(), "ops")
    for terminal in (quick, whole):  # its key known from then on
        first = terminal.records(record(f"first-{terminal.id}", kind="device_event",
                                        session=None, at=1.0, changes={}))  # fmt: skip
        assert first.status_code == 200, first.text
    assert paths.taken == ["whole", "whole"]
    replies = {}
    for terminal, tag in ((quick, "QK"), (whole, "WH")):
        if terminal is whole:  # forgotten, as after a restart: the whole check
            backend.app.state.known_keys.pop(whole.id)
        mark = len(paths.taken)
        answer = terminal.records(*batch(tag))
        assert answer.status_code == 200, answer.text
        replies[tag] = answer.json()
        assert paths.since(mark) == (["quick"] if terminal is quick else ["whole"])
    for reply in replies.values():
        assert reply["refused"] == [] and len(reply["receipts"]) == 7
        assert not any(r["duplicate"] for r in reply["receipts"])
    shape = [[(r["key"][3:], r["received_at"]) for r in reply["receipts"]]
             for reply in replies.values()]  # fmt: skip
    assert shape[0] == shape[1]
    found = rows(backend, {quick.id: "@id", whole.id: "@id", "QK": "@", "WH": "@",
                           "东城": "@site", "西城": "@site"})  # fmt: skip
    # the roll-ups of all sites: both terminals' session counted in each
    every_site = Counter({row: n for row, n in found["session_days"].items()
                          if '"site": ""' in row})  # fmt: skip
    assert every_site and all('"count": 2,' in row for row in every_site), every_site
    found["session_days"] -= every_site
    for table, counted in found.items():
        assert counted, f"{table}: nothing written"
        # every row twice: once of each terminal (the first batches' too)
        assert all(n % 2 == 0 for n in counted.values()), (table, counted)


def test_what_the_quick_batch_cannot_answer_the_whole_check_does(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths(monkeypatch)
    terminal = backend.enrol()
    stored = record("kept-000001", kind="rating", transaction="t1", stars=5)
    assert terminal.records(stored).status_code == 200
    # sent again, its receipt lost: a duplicate, answered by the whole check
    mark = len(paths.taken)
    again = terminal.records(record("kept-000002", kind="rating", transaction="t2", stars=4),
                             stored)  # fmt: skip
    assert again.status_code == 200
    assert [r["duplicate"] for r in again.json()["receipts"]] == [False, True]
    assert paths.since(mark) == ["quick", "whole"]
    # a key reused with another body: refused, nothing of the batch stored
    mark = len(paths.taken)
    reused = terminal.records(record("kept-000003", kind="rating", transaction="t3", stars=4),
                              {**stored, "body": {"transaction": "t1", "stars": 1}})  # fmt: skip
    assert (reused.status_code, reused.json()["keys"]) == (409, ["kept-000001"])
    assert paths.since(mark) == ["quick", "whole"]
    # a record refused: the whole check, which stores the rest
    mark = len(paths.taken)
    refused = terminal.records(record("kept-000004", kind="rating", transaction="t4", stars=3),
                               record("kept-000005", kind="help", colour="red"))  # fmt: skip
    assert refused.status_code == 200
    assert [r["key"] for r in refused.json()["refused"]] == ["kept-000005"]
    assert paths.since(mark) == ["whole"]
    # a replay: the quick statement writes nothing, the whole check refuses it
    send = terminal.replayable("/v1/records", {"records": [
        record("kept-000006", kind="rating", transaction="t6", stars=2)]})  # fmt: skip
    assert send().status_code == 200
    mark = len(paths.taken)
    replayed = send()
    assert (replayed.status_code, replayed.json()["code"]) == (401, "replayed")
    assert paths.since(mark) == ["quick", "whole"]
    # revoked after its key was known: refused, nothing stored or counted
    bucket = "SELECT count FROM rate_buckets WHERE bucket = :b"
    with backend.app.state.engine.connect() as db:
        counted = db.execute(text(bucket), {"b": f"write:{terminal.id}"}).scalar_one()
    assert backend.operator("POST", f"/v1/admin/terminals/{terminal.id}/revoke").status_code == 204
    mark = len(paths.taken)
    revoked = terminal.records(record("kept-000007", kind="rating", transaction="t7", stars=5))
    assert (revoked.status_code, revoked.json()["code"]) == (401, "revoked")
    assert paths.since(mark) == ["quick", "whole"]
    with backend.app.state.engine.connect() as db:
        assert db.execute(text(bucket), {"b": f"write:{terminal.id}"}).scalar_one() == counted
        keys = db.execute(text("SELECT key FROM records ORDER BY seq")).scalars().all()
    assert keys == ["kept-000001", "kept-000002", "kept-000004", "kept-000006"]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_spent_allowance_stops_the_quick_batch(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres = request.getfixturevalue("postgres_service").url if kind == "postgresql" else None
    url = fresh_database(kind, tmp_path, postgres)
    backend = Backend(url, tmp_path / "data", limits=Limits(terminal_writes=Limit(3, 60)))
    try:
        paths = Paths(monkeypatch)
        terminal: Terminal = backend.enrol()
        answers = [terminal.records(record(f"spent-{n:05d}", transaction=f"s{n}", stars=5))
                   for n in range(4)]  # fmt: skip
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert paths.taken == ["whole", "quick", "quick", "quick", "whole"]
        with backend.app.state.engine.connect() as db:
            assert db.execute(text("SELECT count(*) FROM records")).scalar_one() == 3
    finally:
        backend.http.close()
        backend.app.state.engine.dispose()


def test_the_quick_batch_waits_for_the_disk(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records are the citizens': the batch's connection is the pool's, not the
    heartbeat's (which commits without waiting)."""
    seen: list[str] = []
    quick = records._quickly_stored
    ask = {"postgresql": "SHOW synchronous_commit", "sqlite": "PRAGMA synchronous"}

    def stored(connection: Any, *args: Any) -> Any:
        found = connection.exec_driver_sql(ask[connection.dialect.name]).scalar_one()
        seen.append(str(found))
        return quick(connection, *args)

    monkeypatch.setattr(records, "_quickly_stored", stored)
    terminal = backend.enrol()
    for n in range(2):
        sent = record(f"disk-{n:06d}", transaction=f"d{n}", stars=5)
        assert terminal.records(sent).json()["refused"] == []
    # PostgreSQL's on; SQLite's FULL (2)
    assert seen == [{"postgresql": "on", "sqlite": "2"}[backend.app.state.engine.dialect.name]]


def test_the_checked_writes_store_nothing_unless_their_check_passes(backend: Backend) -> None:
    """`_quickly_stored` itself (PostgreSQL's one statement, SQLite's statements),
    whatever its caller then does with the transaction: a wrong key, an unknown
    terminal and a nonce seen each store nothing."""
    terminal = backend.enrol()
    now = backend.clock()
    sent = Record.model_validate(record("checked-0001", transaction="c1", stars=5))
    row = records._new_row(sent, terminal.id, now, vault_of(backend.app))
    check = {"id": terminal.id, "key": signing.public_key_text(terminal.key.public),
             "nonce": "n" * 22, "b_now": now, "b_bucket": f"write:{terminal.id}",
             "b_since": now - 60, "b_allowance": 100}  # fmt: skip
    count = text("SELECT count(*) FROM records")
    with backend.app.state.engine.connect() as connection, connection.begin():
        for wrong in ({"key": "another key"}, {"id": "Tnobody"}):
            taken = records._quickly_stored(connection, {"checked-0001": row}, terminal.id,
                                            now, {**check, **wrong})  # fmt: skip
            assert taken is None
            assert connection.execute(count).scalar_one() == 0
        taken = records._quickly_stored(connection, {"checked-0001": row}, terminal.id, now,
                                        check)  # fmt: skip
        assert taken is not None and list(taken) == ["checked-0001"]
        assert connection.execute(count).scalar_one() == 1
        # its nonce now seen: the same check again stores nothing
        again = {**row, "key": "checked-0002"}
        taken = records._quickly_stored(connection, {"checked-0002": again}, terminal.id, now,
                                        check)  # fmt: skip
        assert taken is None
        assert connection.execute(count).scalar_one() == 1
