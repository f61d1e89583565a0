"""Statements on the driver's cursor (backend/statements.py) write what SQLAlchemy
would, raise SQLAlchemy's errors, and return an insert's keys in the rows' order; on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from sqlalchemy import Table, Text, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.auth import _NONCE_SEEN
from backend.db import StoredRecord, Terminal
from backend.records import _INSERT, _STORED, _store_if_all_new
from backend.terminals import _BEAT
from tests.backend.harness import START, Backend


def _terminal(db: Session, tid: str) -> None:
    db.add(Terminal(id=tid, public_key=f"key-{tid}", name="t", enrolled_at=START,
                    software_version="1", devices={}, consumables={}, outbox_depth=0))  # fmt: skip
    db.flush()


def _beat(tid: str) -> dict[str, Any]:
    return {"b_id": tid, "b_last_heartbeat_at": START, "b_drift_s": -1.5,
            "b_software_version": "1.0-1", "b_devices": {"printer": {"status": "é", "n": [1]}},
            "b_consumables": {"paper": 120, "ribbon": 3}, "b_outbox_depth": 2,
            "b_outbox_oldest_age_s": None, "b_outbox_held": 0, "b_update_probation": None,
            "b_levels_sampled": '{"paper":120}'}  # fmt: skip


def test_a_row_is_written_as_sqlalchemy_writes_it(backend: Backend) -> None:
    with Session(backend.app.state.engine) as db:
        _terminal(db, "Tours")
        _terminal(db, "Ttheirs")
        connection = db.connection()
        ours = _BEAT.rows(connection, _beat("Tours"))
        theirs = connection.execute(_BEAT.statement, _beat("Ttheirs")).all()
        assert ours == [tuple(row) for row in theirs] == [(None, START)]
        stored = connection.execute(text(
            "SELECT id, CAST(devices AS TEXT), CAST(consumables AS TEXT), drift_s, "
            "outbox_oldest_age_s, levels_sampled FROM terminals ORDER BY id"
        )).all()  # fmt: skip
        assert stored[0][1:] == stored[1][1:]
        assert stored[0][1:4] == ('{"printer": {"status": "\\u00e9", "n": [1]}}',
                                  '{"paper": 120, "ribbon": 3}', -1.5)  # fmt: skip


def test_a_unique_key_taken_is_sqlalchemys_integrity_error_without_its_values(
    backend: Backend,
) -> None:
    nonce = {"terminal_id": "Tnonce", "nonce": "n" * 22, "seen_at": START}
    with Session(backend.app.state.engine) as db:
        _NONCE_SEEN.rows(db.connection(), nonce)
        with pytest.raises(IntegrityError) as raised:
            _NONCE_SEEN.rows(db.connection(), nonce)
        # the statement's values are not in it (a batch's carry personal data)
        assert "[parameters:" not in str(raised.value)
        db.rollback()
        _NONCE_SEEN.rows(db.connection(), nonce)  # the connection is usable again
        db.commit()


def _insert(db: Session, rows: list[dict[str, Any]]) -> list[int | None]:
    """The rows stored as a batch's are: their `seq`s in the rows' order, None for one
    not stored."""
    connection = db.connection()
    if connection.dialect.name == "sqlite":
        return cast(list[int | None], _INSERT.first_of_each(connection, rows))
    seqs = _store_if_all_new(connection, rows, rows[0]["terminal_id"], START).seqs
    return [seqs.get(row["key"]) for row in rows]


def _row(key: str, tid: str, n: int) -> dict[str, Any]:
    return {"key": key, "terminal_id": tid, "kind": "rating", "session": None,
            "created_at": START - n, "received_at": START, "body_hash": f"h{n}",
            "body": {"n": n, "text": "张 \u0000 \"q\" \\"}, "sealed_key": None,
            "sealed": None}  # fmt: skip


def test_an_insert_returns_its_keys_in_the_rows_order(backend: Backend) -> None:
    rows = [_row(f"order-{n:04d}", "Trows", n) for n in (3, 1, 2)]
    with Session(backend.app.state.engine) as db:
        _terminal(db, "Trows")
        seqs = _insert(db, rows)
        db.commit()
        assert seqs == sorted(seqs) and len(set(seqs)) == 3  # type: ignore[type-var]
        records = cast(Table, StoredRecord.__table__)
        found = db.execute(select(records.c.seq, records.c.key, records.c.created_at,
                                  records.c.received_at, records.c.body)).all()  # fmt: skip
        assert sorted(found) == [(s, r["key"], r["created_at"], START, r["body"])
                                 for s, r in zip(seqs, rows, strict=True)]  # fmt: skip
        # the body's text as SQLAlchemy's JSON type writes it, a NUL character too
        written = db.execute(select(records.c.body.cast(Text))).scalars().all()
        assert sorted(written) == sorted(json.dumps(r["body"]) for r in rows)
        # a key stored already: SQLite skips it (no error) and stores the others;
        # PostgreSQL stores nothing of the rows
        again = _insert(db, [rows[1], _row("order-0009", "Trows", 9)])
        db.commit()
        if db.get_bind().dialect.name == "sqlite":
            assert again[0] is None and again[1] > max(seqs)  # type: ignore[operator,type-var]
        else:
            assert again == [None, None]
            assert db.scalar(select(func.count()).select_from(records)) == 3


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_batch_with_a_key_stored_before_finds_the_stored_rows(backend: Backend) -> None:
    rows = [_row(f"first-{n:04d}", "Tfirst", n) for n in range(3)]
    with Session(backend.app.state.engine) as db:
        _terminal(db, "Tfirst")
        connection = db.connection()
        first = _store_if_all_new(connection, rows[:2], "Tfirst", START)
        stored, seqs = first.stored, first.seqs
        assert stored == {} and len(seqs) == 2
        later = START + 60
        second = _store_if_all_new(connection, rows[::-1], "Tfirst", later)
        stored, again = second.stored, second.seqs
        assert again == {}  # nothing stored: the caller decides what a duplicate is
        assert {key: (row.seq, row.kind, row.received_at, row.body_hash)
                for key, row in stored.items()} == {
            r["key"]: (seqs[r["key"]], "rating", START, r["body_hash"]) for r in rows[:2]
        }  # fmt: skip
        records = cast(Table, StoredRecord.__table__)
        assert db.scalar(select(func.count()).select_from(records)) == 2


def test_an_in_list_of_any_length_finds_what_is_stored(backend: Backend) -> None:
    rows = [_row(f"found-{n:04d}", "Tin", n) for n in range(3)]
    with Session(backend.app.state.engine) as db:
        _terminal(db, "Tin")
        seqs = _insert(db, rows)
        for asked in (["found-0001"], ["nowhere", "found-0002", "found-0000"], ["nowhere"]):
            found = _STORED.rows(db.connection(), {"keys": asked})
            assert sorted((key, seq) for key, seq, *_ in found) == sorted(
                (key, seqs[int(key[-1])]) for key in asked if key != "nowhere"
            )
