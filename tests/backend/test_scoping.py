"""Scoping between terminals (issue #16, item 5): a photo is its taking terminal's, or
any terminal's that names its citizen too; every lookup of a person's data counts
against the terminal's quota, is audited with the citizen's session (masked, never
in clear), and unusual volumes reach the console as one alert; receipt numbers are
not to be guessed."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Alert, AuditEntry
from backend.limits import Limit
from backend.registry import citizen_id
from kiosk.photo.receipt import SERIAL_DIGITS, ReceiptBook, parse_number
from tests.backend.harness import Backend, Response, Terminal, record
from wire import signing

JPEG = base64.b64encode(b"\xff\xd8\xff\xe0 a portrait of the citizen").decode()
RECEIPT = "T0123456789AB-48219377-1029482-B"  # kiosk/photo/receipt.py
MASKED_ID = re.compile(r"^\d{6}\*{10}[\dX]{2}$")


@pytest.fixture
def fleet(backend: Backend) -> Backend:
    """The backend (its vault loaded by create_app)."""
    return backend


def lookup(
    terminal: Terminal, path: str, body: dict[str, Any], session: str | None = None
) -> Response:
    """A signed POST, made for a citizen session (header X-Kiosk-Session) when given."""
    raw = json.dumps(body).encode()
    headers = {**terminal.headers("POST", path, raw), "Content-Type": "application/json"}
    if session is not None:
        headers[signing.SESSION] = session
    return terminal.backend.http.request("POST", path, content=raw, headers=headers)


def photo(terminal: Terminal, receipt: str, id_number: str | None = None) -> Response:
    body = {"receipt": receipt, "id_number": id_number}
    return lookup(terminal, "/v1/photos/lookup", {k: v for k, v in body.items() if v})


def _audit(backend: Backend) -> list[AuditEntry]:
    with Session(backend.app.state.engine) as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.actor_kind == "terminal")))


def _alerts(backend: Backend) -> list[Alert]:
    with Session(backend.app.state.engine) as db:
        return list(db.scalars(select(Alert).where(Alert.kind == "unusual_lookups")))


# ---- photos: whose they are ------------------------------------------------------------


def test_another_terminal_needs_the_receipt_and_the_id_number_together(fleet: Backend) -> None:
    taker, other = fleet.enrol("booth A"), fleet.enrol("booth B")
    citizen = citizen_id("renewal_due")
    stored = taker.records(record("photo-0000001", kind="photo", receipt=RECEIPT,
                                  jpeg_base64=JPEG, id_number=citizen))  # fmt: skip
    assert stored.status_code == 200 and stored.json()["refused"] == []
    assert photo(taker, RECEIPT).json()["jpeg_base64"] == JPEG  # its own: the receipt is enough
    assert photo(other, RECEIPT).status_code == 404  # another's: the receipt is not
    found = photo(other, RECEIPT, citizen)
    assert found.status_code == 200 and found.json()["jpeg_base64"] == JPEG
    wrong = photo(other, RECEIPT, citizen_id("minor"))
    missing = photo(other, "T0123456789AB-00000000-0000001-X", citizen)
    # a wrong pair and a photo that does not exist answer alike: no oracle of either half
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json() == missing.json() == {
        "code": "no_photo", "detail": "no photo under that receipt number for this terminal"
    }  # fmt: skip
    assert wrong.headers.get("content-length") == missing.headers.get("content-length")


def test_a_photo_that_names_no_one_is_only_its_taking_terminals(fleet: Backend) -> None:
    taker, other = fleet.enrol("booth A"), fleet.enrol("booth B")
    taker.records(record("photo-0000002", kind="photo", receipt=RECEIPT, jpeg_base64=JPEG))
    assert photo(taker, RECEIPT).status_code == 200
    for guess in (None, citizen_id("renewal_due"), citizen_id("minor")):
        assert photo(other, RECEIPT, guess).status_code == 404


def test_an_id_number_in_a_photo_record_must_be_one(fleet: Backend) -> None:
    booth = fleet.enrol()
    sent = booth.records(record("photo-0000003", kind="photo", receipt=RECEIPT,
                                jpeg_base64=JPEG, id_number="12345"))  # fmt: skip
    assert [r["key"] for r in sent.json()["refused"]] == ["photo-0000003"]


# ---- the quota ---------------------------------------------------------------------------


def test_lookups_beyond_the_quota_are_refused_with_retry_after(fleet: Backend) -> None:
    fleet.app.state.limits = dataclasses.replace(fleet.limits, lookups=Limit(4, 86400))
    booth, other = fleet.enrol("booth A"), fleet.enrol("booth B")
    due = citizen_id("renewal_due")
    asks = [
        ("/v1/eligibility/id-renewal", {"id_number": due, "reason": "expiry"}),
        ("/v1/eligibility/endorsement", {"permit_number": "C10000001"}),
        ("/v1/proofs", {"id_number": citizen_id("traveller"), "doc_type": "cr", "use": "就业"}),
        ("/v1/photos/lookup", {"receipt": RECEIPT}),
    ]  # every kind of lookup counts, the 404 of a photo too
    assert [lookup(booth, path, body).status_code for path, body in asks] == [200, 200, 200, 404]
    fleet.clock.advance(3600)
    refused = lookup(booth, *asks[0])
    assert refused.status_code == 429 and refused.json()["code"] == "too_many"
    assert int(refused.headers["Retry-After"]) == 86400 - 3600
    assert lookup(booth, *asks[3]).status_code == 429  # not even a photo
    assert lookup(other, *asks[0]).status_code == 200  # per terminal: the other one asks on
    fleet.clock.advance(86400 - 3600)
    assert lookup(booth, *asks[0]).status_code == 200  # a new day


# ---- the audit log -----------------------------------------------------------------------


def test_every_lookup_is_audited_with_its_session_and_masked(fleet: Backend) -> None:
    booth = fleet.enrol()
    citizen = citizen_id("renewal_due")
    booth.records(record("photo-0000004", kind="photo", receipt=RECEIPT, jpeg_base64=JPEG,
                         id_number=citizen))  # fmt: skip
    renewal = {"id_number": citizen, "reason": "expiry"}
    assert lookup(booth, "/v1/eligibility/id-renewal", renewal, "s-0001").status_code == 200
    assert lookup(booth, "/v1/eligibility/endorsement", {"permit_number": "C10000004"},
                  "s-0001").status_code == 200  # fmt: skip
    proof = {"id_number": citizen_id("record"), "doc_type": "cr", "use": "就业"}
    assert lookup(booth, "/v1/proofs", proof, "s-0002").json()["reason"] == "record_found"
    body = {"receipt": RECEIPT, "id_number": citizen}
    assert lookup(booth, "/v1/photos/lookup", body, "s-0002").status_code == 200
    assert lookup(booth, "/v1/photos/lookup", {"receipt": "NOPE"}).status_code == 404
    assert lookup(booth, "/v1/eligibility/id-renewal", renewal, "a session").status_code == 200
    entries = _audit(fleet)
    assert [(e.actor, e.action, e.session) for e in entries] == [
        (booth.id, "lookup_renewal", "s-0001"),
        (booth.id, "lookup_endorsement", "s-0001"),
        (booth.id, "lookup_proof", "s-0002"),
        (booth.id, "lookup_photo", "s-0002"),
        (booth.id, "lookup_photo", None),  # no session said
        (booth.id, "lookup_renewal", None),  # not a session id: left out, not refused
    ]
    kind, masked = entries[0].target.split(" ")
    assert kind == "id" and MASKED_ID.match(masked) and masked[:6] == citizen[:6]
    assert masked[-2:] == citizen[-2:]
    assert entries[1].target == "permit C******04"
    assert entries[3].target == f"photo {RECEIPT} id {masked}"
    assert [e.detail for e in entries] == [
        "eligible", "not eligible", "cr proof not issued", "found", "not found", "eligible",
    ]  # fmt: skip
    # whether, never why: "record_found" and "exit_entry_check" are about the person
    text = " ".join(f"{e.target} {e.detail}" for e in entries)
    for secret in (citizen, citizen_id("record"), "C10000004", "record_found", "exit_entry"):
        assert secret not in text


# ---- unusual volumes -------------------------------------------------------------------


def test_unusual_volume_raises_one_alert_that_counts(fleet: Backend) -> None:
    fleet.app.state.limits = dataclasses.replace(fleet.limits, lookups=Limit(10, 86400))
    booth, quiet = fleet.enrol("busy"), fleet.enrol("quiet")
    ask = ("/v1/eligibility/endorsement", {"permit_number": "C10000001"})
    for _ in range(5):  # half the quota: usual
        assert lookup(booth, *ask).status_code == 200
        assert lookup(quiet, *ask).status_code == 200
    assert _alerts(fleet) == []
    for _ in range(3):
        lookup(booth, *ask)
    (alert,) = _alerts(fleet)  # one alert, not three lines on the console
    assert (alert.terminal_id, alert.count) == (booth.id, 3)
    assert alert.detail.startswith("8 personal-data lookups in 86400 s (quota 10)")
    for _ in range(3):  # the quota runs out: still the one alert
        lookup(booth, *ask)
    (alert,) = _alerts(fleet)
    assert alert.count == 6 and alert.detail.startswith("over its quota of 10")


def test_a_burst_within_an_hour_is_unusual_too(fleet: Backend) -> None:
    limits = fleet.app.state.limits
    fleet.app.state.limits = dataclasses.replace(limits, lookups_unusual=Limit(3, 3600))
    booth = fleet.enrol()
    ask = ("/v1/eligibility/endorsement", {"permit_number": "C10000001"})
    for _ in range(3):
        lookup(booth, *ask)
        fleet.clock.advance(60)
    assert _alerts(fleet) == []
    lookup(booth, *ask)
    (alert,) = _alerts(fleet)
    assert alert.detail == "4 personal-data lookups in 3600 s"
    fleet.clock.advance(3600)  # the next hour starts quiet
    lookup(booth, *ask)
    assert [a.count for a in _alerts(fleet)] == [1]


# ---- receipt numbers -------------------------------------------------------------------


def test_receipt_numbers_are_all_different_and_unpredictable(tmp_path: Path) -> None:
    with ReceiptBook(tmp_path / "receipts.sqlite", "t0123456789ab") as book:
        numbers = [book.next() for _ in range(3000)]
    assert len(set(numbers)) == len(numbers)
    serials = [parse_number(n).serial for n in numbers]
    # no counter and no fixed stride: the step from one number to the next is never the same
    assert len({int(b) - int(a) for a, b in pairwise(serials)}) == len(serials) - 1
    # every position takes every digit about equally often (2 400 draws of ten values)
    for position in range(SERIAL_DIGITS):
        counts = Counter(serial[position] for serial in serials[:2400])
        assert set(counts) == set("0123456789") and max(counts.values()) < 360, position
    # one number and the next share no more digits in place than chance does (1.5 of 15)
    shared = [sum(x == y for x, y in zip(a, b, strict=True)) for a, b in pairwise(serials)]
    assert sum(shared) / len(shared) < 2.0
