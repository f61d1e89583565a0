"""Ingestion: at least once from the terminal, exactly once in the backend."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend import auth, records
from backend.db import Rating, StoredRecord
from backend.vault import vault_of
from tests.backend.harness import Backend, record
from wire.sync import Record


def _stored(backend: Backend) -> list[StoredRecord]:
    with Session(backend.app.state.engine) as db:
        return list(db.scalars(select(StoredRecord).order_by(StoredRecord.seq)))


def test_a_repeated_key_gets_the_first_answer(backend: Backend) -> None:
    terminal = backend.enrol()
    first = terminal.records(record("key-0000001", transaction="t1", stars=5, service="photo"))
    assert first.status_code == 200
    backend.clock.advance(60)
    again = terminal.records(record("key-0000001", transaction="t1", stars=5, service="photo"))
    assert again.status_code == 200
    one, two = first.json()["receipts"][0], again.json()["receipts"][0]
    assert (one["seq"], one["received_at"]) == (two["seq"], two["received_at"])
    assert (one["duplicate"], two["duplicate"]) == (False, True)
    assert len(_stored(backend)) == 1


def test_a_reused_key_with_another_body_is_refused_and_nothing_of_the_batch_stored(
    backend: Backend,
) -> None:
    terminal = backend.enrol()
    assert terminal.records(record("key-0000001", transaction="t", stars=5)).status_code == 200
    answer = terminal.records(
        record("key-0000002", transaction="t", stars=4),
        record("key-0000001", transaction="t", stars=1),
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "key_reused" and answer.json()["keys"] == ["key-0000001"]
    assert [r.key for r in _stored(backend)] == ["key-0000001"]
    inside = terminal.records(
        record("key-0000003", transaction="t", stars=4),
        record("key-0000003", transaction="t", stars=2),
    )
    assert inside.status_code == 409 and inside.json()["keys"] == ["key-0000003"]


def test_the_backend_orders_by_receipt_not_by_the_terminals_clock(backend: Backend) -> None:
    terminal = backend.enrol()
    late = {**record("key-late-01", kind="audit"), "created_at": 2_000_000_000.0}
    early = {**record("key-early-1", kind="audit"), "created_at": 1.0}
    receipts = terminal.records(late, early).json()["receipts"]
    assert receipts[0]["seq"] < receipts[1]["seq"]
    assert [r.key for r in _stored(backend)] == ["key-late-01", "key-early-1"]


def test_the_same_key_sent_at_once_by_many_is_stored_once(backend: Backend) -> None:
    terminal = backend.enrol()
    batch = [record(f"race-{i:06d}", session=None, transaction=f"r{i}", stars=3) for i in range(20)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: terminal.records(*batch), range(6)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    seqs = {tuple(r["seq"] for r in a.json()["receipts"]) for a in answers}
    assert len(seqs) == 1  # everyone got the same (first) receipts
    assert sum(not r["duplicate"] for a in answers for r in a.json()["receipts"]) == 20
    assert len(_stored(backend)) == 20


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite: one writer
@pytest.mark.parametrize("known", [False, True])
def test_a_batch_that_loses_the_race_for_a_key_is_done_again(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, known: bool
) -> None:
    """Another request stores the key while this batch's statement runs (its insert waits
    for the other's commit, on the key's index): the insert skips it (no error), and the
    whole request is done again (backend/auth.py `Again`), which finds the key stored.
    `known`: the terminal's key known, its batch first tried on the quick path, which
    writes nothing then and leaves the batch to the whole check."""
    monkeypatch.setattr(auth, "_FORGET_NONCES", 0.0)  # no whole check by chance
    terminal = backend.enrol()
    if known:
        assert terminal.records(record("race-first1", transaction="t1", stars=4)).status_code == 200
    sent = record("race-lost-01", transaction="t9", stars=4)
    tries: list[str] = []
    stores = {"whole": records._ALL_NEW, "quick": records._ALL_NEW_CHECKED}

    def counted(path: str) -> Any:
        store = stores[path].rows

        def rows(connection: Any, params: Any) -> Any:
            tries.append(path)
            return store(connection, params)

        return rows

    engine = backend.app.state.engine
    row = records._new_row(Record.model_validate(sent), terminal.id, backend.clock(),
                           vault_of(backend.app))  # fmt: skip
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    with (
        ThreadPoolExecutor(1) as pool,
        engine.connect() as elsewhere,
    ):  # on failure: its lock released first
        elsewhere.begin()
        other = records._store_if_all_new(elsewhere, [row], terminal.id, backend.clock()).seqs
        for path, statement in stores.items():
            monkeypatch.setattr(statement, "rows", counted(path))
        asked = pool.submit(terminal.records, sent)
        for _ in range(500):  # this batch's insert waits on the key the other holds
            with engine.connect() as watching:  # a transaction of its own: fresh statistics
                if watching.execute(waiting).scalar():
                    break
            time.sleep(0.01)
        else:
            raise AssertionError("the batch never waited for the other's key")
        elsewhere.commit()
        answer = asked.result(timeout=30)
    assert answer.status_code == 200, answer.text
    (receipt,) = answer.json()["receipts"]
    assert (receipt["seq"], receipt["duplicate"]) == (other["race-lost-01"], True)
    assert tries == (["quick", "whole"] if known else ["whole", "whole"])  # done twice
    assert [r.key for r in _stored(backend)][-1:] == ["race-lost-01"]


def test_one_rating_per_transaction_counts(backend: Backend) -> None:
    terminal = backend.enrol()
    terminal.records(
        record("rate-000001", transaction="TX1", stars=5, service="photo"),
        record("rate-000002", transaction="TX1", stars=1, service="photo"),
    )
    with Session(backend.app.state.engine) as db:
        assert db.scalar(select(func.count()).select_from(Rating)) == 1
        assert db.get(Rating, "TX1").stars == 5  # type: ignore[union-attr]


def test_a_malformed_batch_gets_one_line(backend: Backend) -> None:
    terminal = backend.enrol()
    bad_kind = terminal.records(record("key-0000009", kind="gossip"))
    assert bad_kind.status_code == 422 and bad_kind.json()["detail"].startswith("body.records.0")
    empty = terminal.call("POST", "/v1/records", {"records": []})
    assert empty.status_code == 422
    assert _stored(backend) == []
