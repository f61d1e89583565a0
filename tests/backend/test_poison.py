"""Honest mistakes and hostile records: a record its kind's model refuses (wire/sync.py
BODIES) is refused alone, named with its field; the rest of the batch is stored; no
input reaches a 500 (a rating whose stars are not a number, a lone surrogate, a
payment whose amount is text, which once broke the day's reconciliation for good).
And alerts are counted, not repeated: a stale request replayed 200 times is one."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db import Alert, StoredRecord
from tests.backend.harness import START, Backend, record
from wire import signing

PAYMENT = {"out_trade_no": "K20261118000001", "state": "SUCCESS", "amount_fen": 2000,
           "method": "qr"}  # fmt: skip


def test_a_bad_record_is_refused_alone_and_the_rest_is_taken(backend: Backend) -> None:
    booth = backend.enrol()
    batch = [
        record("good-rating-1", transaction="t1", stars=5, service="proof"),
        record("bad-rating-01", transaction="t2", stars="five"),
        record("good-applic-1", kind="application", service="proof"),
        record("bad-surrogate", kind="application", service="proof", note="\ud800"),
        record("bad-payment-1", kind="payment", **{**PAYMENT, "amount_fen": "abc"}),
        record("good-paymnt-1", kind="payment", **PAYMENT),
        record("bad-help-0001", kind="help", screen="home", language="zh_CN", name="张三"),
    ]
    raw = json.dumps({"records": batch}).encode()  # \ud800 travels as JSON's own escape
    headers = {**booth.headers("POST", "/v1/records", raw), "Content-Type": "application/json"}
    answer = backend.http.post("/v1/records", content=raw, headers=headers)
    assert answer.status_code == 200, answer.text
    reply = answer.json()
    assert [r["key"] for r in reply["receipts"]] == ["good-rating-1", "good-applic-1",
                                                     "good-paymnt-1"]  # fmt: skip
    refused = {r["key"]: r["detail"] for r in reply["refused"]}
    assert set(refused) == {"bad-rating-01", "bad-surrogate", "bad-payment-1", "bad-help-0001"}
    assert refused["bad-rating-01"].startswith("body.stars: ")
    assert refused["bad-surrogate"] == "body.'note': not text"
    assert refused["bad-payment-1"].startswith("body.amount_fen: ")
    assert refused["bad-help-0001"].startswith("body.name: ")  # a help call carries no name
    with Session(backend.app.state.engine) as db:
        stored = set(db.scalars(select(StoredRecord.key)))
    assert stored == {"good-rating-1", "good-applic-1", "good-paymnt-1"}
    day = backend.operator("GET", "/v1/admin/reconciliation?day=2026-11-18")
    assert day.status_code == 200, day.text


def test_a_batch_of_nothing_but_bad_records_is_answered_too(backend: Backend) -> None:
    booth = backend.enrol()
    answer = booth.records(record("bad-rating-02", transaction="t", stars=9))
    assert answer.status_code == 200
    assert answer.json() == {"receipts": [], "refused": [
        {"key": "bad-rating-02", "code": "invalid_record",
         "detail": "body.stars: Input should be less than or equal to 5"}]}  # fmt: skip


def test_a_key_that_is_not_printable_ascii_refuses_the_batch_as_malformed(backend: Backend):
    booth = backend.enrol()
    answer = booth.records(record("key\ud800-surrogate", transaction="t", stars=1))
    assert answer.status_code == 422 and answer.json()["code"] == "invalid"


def test_a_stale_request_replayed_200_times_is_one_alert_that_counts(backend: Backend) -> None:
    booth = backend.enrol()
    raw = json.dumps({"records": [record("stale-record", transaction="t", stars=3)]}).encode()
    headers = {**booth.headers("POST", "/v1/records", raw, at=START - 3600),
               "Content-Type": "application/json"}  # fmt: skip
    for _ in range(200):
        answer = backend.http.post("/v1/records", content=raw, headers=headers)
        assert answer.status_code == 401 and answer.json()["code"] == "clock_skew"
    with Session(backend.app.state.engine) as db:
        alerts = db.scalars(select(Alert)).all()
        assert [(a.kind, a.count) for a in alerts] == [("clock_drift", 200)]
    summary = backend.operator("GET", "/console/api/summary").json()
    assert [a["count"] for a in summary["alerts"]] == [200]
    backend.clock.advance(3601)  # an hour on: a new alert
    backend.http.post("/v1/records", content=raw, headers=headers)
    with Session(backend.app.state.engine) as db:
        assert db.scalar(select(func.count()).select_from(Alert)) == 2
    assert signing.WINDOW_S < 3600


def test_numbers_are_numbers_and_a_stored_record_resent_is_a_duplicate(backend: Backend) -> None:
    booth = backend.enrol()
    loose = booth.records(record("loose-stars-1", transaction="t", stars="4.0"),
                          record("loose-money-1", kind="payment",
                                 **{**PAYMENT, "amount_fen": 100.0}))  # fmt: skip
    assert loose.status_code == 200
    assert {r["key"] for r in loose.json()["refused"]} == {"loose-stars-1", "loose-money-1"}
    # a record stored before today's model refused its kind (its receipt lost on the
    # way): sent again, it is the duplicate it is, not a refusal
    with Session(backend.app.state.engine) as db:
        db.add(StoredRecord(key="stored-early-1", terminal_id=booth.id, kind="rating",
                            session="s1", created_at=START, received_at=START,
                            body_hash=_hash("stored-early-1", {"stars": "x"}),
                            body={"stars": "x"}))  # fmt: skip
        db.commit()
    again = booth.records(record("stored-early-1", stars="x"))
    assert again.json()["refused"] == [] and again.json()["receipts"][0]["duplicate"]


def _hash(key: str, body: dict) -> str:
    from backend.records import body_hash
    from wire.sync import Record

    return body_hash(Record.model_validate({**record(key, **body)}))
