"""The pickup lookup (自助取证, issue #23) against the seeded pickups: a finished
document found by the card's ID number or by the pickup notice's reference, each
refusal with what the citizen needs (the day, the site), a document collected at a
terminal no longer ready, and an audit line that says whether, never whose number.

Oracle from elsewhere: python-stdnum makes the ID number of someone who has nothing
waiting (a valid check digit, so the request passes the wire's pattern)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from backend.db import AuditEntry
from backend.registry import OTHER_SITE, citizen_id
from tests.backend.harness import Backend, record

PATH = "/v1/pickups/lookup"


def lookup(terminal, case: str, reference: str | None = None) -> dict:
    body = {"id_number": citizen_id(case), **({"reference": reference} if reference else {})}
    answer = terminal.call("POST", PATH, body)
    assert answer.status_code == 200, answer.text
    return {k: v for k, v in answer.json().items() if v is not None}


def test_each_refusal_names_its_reason(backend: Backend) -> None:
    booth = backend.enrol("东城分局 1号机")
    today = dt.date.fromtimestamp(backend.clock())
    assert lookup(booth, "traveller") == {
        "ready": False, "reason": "not_yet_ready",
        "ready_date": (today + dt.timedelta(days=3)).isoformat(),
    }  # fmt: skip
    assert lookup(booth, "renewal_early") == {"ready": False, "reason": "already_collected"}
    assert lookup(booth, "record") == {"ready": False, "reason": "wrong_terminal",
                                       "site": OTHER_SITE}  # fmt: skip
    assert lookup(booth, "state_employee") == {"ready": False, "reason": "held_for_counter"}
    assert lookup(booth, "minor") == {"ready": False, "reason": "nothing_ready"}
    body = "11010119700101777"
    stranger = booth.call("POST", PATH, {"id_number": body + ric.calc_check_digit(body)})
    assert stranger.json()["reason"] == "nothing_ready"


def test_ready_here_masked_and_at_its_own_site(backend: Backend) -> None:
    booth = backend.enrol("东城分局 1号机")
    found = lookup(booth, "sample_card")
    assert found == {"ready": True, "reference": "QJ-7K2M9X", "document": "id_card",
                     "document_number": "11" + "*" * 14 + "2X", "holder": "钱**"}  # fmt: skip
    assert citizen_id("sample_card") not in str(found)
    # the notice's reference names the same document; another's notice finds nothing
    assert lookup(booth, "sample_card", "QJ-7K2M9X")["ready"] is True
    assert lookup(booth, "traveller", "QJ-7K2M9X") == {"ready": False, "reason": "nothing_ready"}
    there = backend.enrol(f"{OTHER_SITE} 2号机")
    assert lookup(there, "record") == {"ready": True, "reference": "QJ-9N4B7C",
                                       "document": "passport", "document_number": "E2*****09",
                                       "holder": "测****"}  # fmt: skip


def test_collected_at_a_terminal_is_not_ready_again(backend: Backend) -> None:
    booth = backend.enrol("东城分局 1号机")
    told = booth.records(record("pickup-QJ-7K2M9X", "application", service="document_pickup",
                                reference="QJ-7K2M9X", slot=3))  # fmt: skip
    assert told.status_code == 200, told.text
    assert lookup(booth, "sample_card") == {"ready": False, "reason": "already_collected"}


def test_a_bad_request_is_refused_and_the_audit_says_whether_only(backend: Backend) -> None:
    booth = backend.enrol()
    for bad in ({"id_number": "12345"}, {"id_number": citizen_id("traveller"), "reference": "x"},
                {"reference": "QJ-7K2M9X"}):  # fmt: skip
        assert booth.call("POST", PATH, bad).status_code == 422, bad
    lookup(booth, "minor")
    lookup(booth, "sample_card")
    with Session(backend.app.state.engine) as db:
        rows = db.execute(select(AuditEntry.target, AuditEntry.detail).where(
            AuditEntry.action == "lookup_pickup").order_by(AuditEntry.id)).all()  # fmt: skip
    assert [detail for _, detail in rows] == ["not ready", "ready"]
    for target, _ in rows:
        assert citizen_id("minor") not in target and citizen_id("sample_card") not in target
