"""The phone number on file (issue #18, item 3): a renewal check offers the number the
citizen gave on their latest ID application, found by the keyed hash of their ID
number, the number itself opened from its sealed record; nothing of it in clear."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import AuditEntry, PhoneOnFile
from backend.registry import citizen_id
from backend.retention import Retention, purge
from tests.backend.harness import Backend, Terminal, record
from tests.backend.test_vault import raw_rows

CITIZEN = citizen_id("renewal_due")
FIRST, LATER = "13912345678", "15800001111"


def application(key: str, id_number: str = CITIZEN, **body: Any) -> dict[str, Any]:
    return record(key, kind="application", service="id_renewal", receipt=f"A{key[-8:]}",
                  id_number=id_number, delivery="pickup", **body)  # fmt: skip


def renewal(booth: Terminal, id_number: str = CITIZEN, reason: str = "expiry") -> dict[str, Any]:
    answer = booth.call("POST", "/v1/eligibility/id-renewal",
                        {"id_number": id_number, "reason": reason})  # fmt: skip
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def stored(booth: Terminal, *records: dict[str, Any]) -> None:
    answer = booth.records(*records)
    assert answer.status_code == 200 and answer.json()["refused"] == [], answer.text


def test_no_previous_application_no_phone(backend: Backend) -> None:
    booth = backend.enrol()
    # as before the field: absent, not null (older terminals forbid unknown fields)
    assert renewal(booth) == {"eligible": True, "reason": None, "options": []}


def test_the_phone_of_the_latest_application_is_offered(backend: Backend) -> None:
    booth, other = backend.enrol(), backend.enrol("another booth")
    stored(booth, application("app-00000001", phone=FIRST))
    assert renewal(booth)["phone"] == FIRST
    assert renewal(other)["phone"] == FIRST  # the backend's, not the booth's
    stored(other, application("app-00000002", phone=LATER))
    assert renewal(booth)["phone"] == LATER  # the latest wins (order of receipt)
    # an application without a usable number leaves the one on file as it is
    stored(booth, application("app-00000003"), application("app-00000004", phone="12345"))
    assert renewal(booth)["phone"] == LATER
    # another citizen's number is never offered; a sent-again record changes nothing
    assert "phone" not in renewal(booth, citizen_id("renewal_early"), "lost")
    stored(booth, application("app-00000001", phone=FIRST))
    assert renewal(booth)["phone"] == LATER


def test_an_ineligible_answer_carries_no_phone(backend: Backend) -> None:
    booth = backend.enrol()
    early = citizen_id("renewal_early")
    stored(booth, application("app-00000001", id_number=early, phone=FIRST))
    assert renewal(booth, early, "lost")["phone"] == FIRST
    refused = renewal(booth, early, "expiry")  # not due yet
    assert refused["eligible"] is False and "phone" not in refused
    minor = citizen_id("minor")
    stored(booth, application("app-00000002", id_number=minor, phone=LATER))
    assert "phone" not in renewal(booth, minor)


def test_the_database_holds_neither_id_number_nor_phone_in_clear(backend: Backend) -> None:
    booth = backend.enrol()
    stored(booth, application("app-00000001", phone=FIRST),
           application("app-00000002", phone=LATER))  # fmt: skip
    assert renewal(booth)["phone"] == LATER
    found = raw_rows(backend, "phones_on_file") + raw_rows(backend, "records")
    found += raw_rows(backend, "audit_log")
    for secret in (CITIZEN, CITIZEN[6:14], FIRST, LATER, FIRST[3:], LATER[3:]):
        assert secret not in found
    with Session(backend.app.state.engine) as db:
        rows = db.scalars(select(PhoneOnFile)).all()
        audited = db.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "lookup_renewal")).all()  # fmt: skip
    assert len(rows) == 2 and {r.id_hash for r in rows} == {
        backend.app.state.vault.id_hash(CITIZEN)
    }
    assert audited == ["eligible"]  # whether, never the number


def test_the_phone_on_file_is_purged_with_its_application(backend: Backend) -> None:
    booth = backend.enrol()
    stored(booth, application("app-00000001", phone=FIRST))
    days = Retention().applications_days
    purged = purge(backend.app.state.engine, Retention(), backend.clock() + (days + 1) * 86400)
    assert purged.applications == 1 and purged.index_rows == 1
    assert "phone" not in renewal(booth)
    assert raw_rows(backend, "phones_on_file") == ""
