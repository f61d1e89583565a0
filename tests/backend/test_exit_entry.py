"""The exit-entry check (issue #23) against the seeded registry: who may apply at a
terminal for a first passport or Hong Kong / Macau permit, each refusal, the day to
collect it, and an audit line that says whether, never why nor whose number.

Oracle from elsewhere: python-stdnum makes the ID number of someone the registry does
not know (a valid check digit, so the request passes the wire's pattern)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from backend.db import AuditEntry
from backend.registry import citizen_id
from tests.backend.harness import Backend, record

PATH = "/v1/eligibility/exit-entry"


def check(terminal, id_number: str, document: str) -> dict:
    answer = terminal.call("POST", PATH, {"id_number": id_number, "document": document})
    assert answer.status_code == 200, answer.text
    return answer.json()


REFUSED = [
    ("exit_hold", "passport", "restricted_from_exit"),
    ("minor", "passport", "under_age_needs_guardian"),
    ("traveller", "hk_macau_permit", "already_holds_valid_document"),  # C10000001
    ("minor", "hk_macau_permit", "under_age_needs_guardian"),  # age first: a guardian
]


def test_each_refusal_names_its_reason(backend: Backend) -> None:
    booth = backend.enrol()
    for case, document, reason in REFUSED:
        found = check(booth, citizen_id(case), document)
        assert found == {"eligible": False, "reason": reason, "pickup_date": None}, case


def test_someone_the_registry_does_not_know_is_not_registered(backend: Backend) -> None:
    body = "11010119700101777"
    found = check(backend.enrol(), body + ric.calc_check_digit(body), "passport")
    assert found["eligible"] is False and found["reason"] == "not_registered"


def test_a_first_application_is_taken_with_the_day_to_collect_it(backend: Backend) -> None:
    booth = backend.enrol()
    # a passport for the permit holder (the registry holds no passports); a permit for
    # someone who holds none
    for case, document in (("traveller", "passport"), ("first_application", "hk_macau_permit")):
        found = check(booth, citizen_id(case), document)
        today = dt.date.fromtimestamp(backend.clock())
        assert found == {"eligible": True, "reason": None,
                         "pickup_date": (today + dt.timedelta(days=7)).isoformat()}  # fmt: skip
    backend.clock.advance(3 * 86400)
    later = check(booth, citizen_id("traveller"), "passport")["pickup_date"]
    assert later == (dt.date.fromtimestamp(backend.clock()) + dt.timedelta(days=7)).isoformat()


def test_a_bad_request_is_refused_and_the_audit_says_whether_only(backend: Backend) -> None:
    booth = backend.enrol()
    refused = booth.call("POST", PATH, {"id_number": citizen_id("traveller"), "document": "visa"})
    assert refused.status_code == 422
    assert (
        booth.call("POST", PATH, {"id_number": "12345", "document": "passport"}).status_code == 422
    )
    check(booth, citizen_id("minor"), "passport")
    check(booth, citizen_id("traveller"), "passport")
    with Session(backend.app.state.engine) as db:
        rows = db.execute(select(AuditEntry.target, AuditEntry.detail).where(
            AuditEntry.action == "lookup_exit_entry").order_by(AuditEntry.id)).all()  # fmt: skip
    assert [detail for _, detail in rows] == ["not eligible", "eligible"]
    for target, _ in rows:
        assert citizen_id("minor") not in target and citizen_id("traveller") not in target
        assert target.startswith("id 110101") and "*" in target  # masked: 6 and 4 kept


def test_the_phone_of_the_latest_application_is_offered_refusals_say_none(
    backend: Backend,
) -> None:
    booth = backend.enrol()
    citizen = citizen_id("traveller")
    assert "phone" not in check(booth, citizen, "passport")  # none on file: absent
    sent = booth.records(record("app-00000001", kind="application",
                                service="exit_entry_application", receipt="E00000001",
                                id_number=citizen, document="passport",
                                phone="13912345678"))  # fmt: skip
    assert sent.status_code == 200 and sent.json()["refused"] == [], sent.text
    assert check(booth, citizen, "passport")["phone"] == "13912345678"
    # a refusal tells nothing more about the person
    assert "phone" not in check(booth, citizen, "hk_macau_permit")
