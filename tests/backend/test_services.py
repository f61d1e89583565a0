"""The services the flows call, against the seeded registry (services.md's cases)."""

from __future__ import annotations

import base64

import pytest

from backend.registry import citizen_id, id_number
from tests.backend.harness import Backend, record


@pytest.mark.parametrize(
    ("case", "reason", "expected"),
    [
        ("renewal_due", "expiry", None),
        ("renewal_early", "expiry", "not_due"),
        ("renewal_early", "lost", None),  # a lost card is replaced at any time
        ("minor", "expiry", "minor"),
        ("collective", "expiry", "collective_household"),
        ("first_application", "damaged", "first_application"),
    ],
)
def test_id_renewal_eligibility(
    backend: Backend, case: str, reason: str, expected: str | None
) -> None:
    terminal = backend.enrol()
    body = {"id_number": citizen_id(case), "reason": reason}
    found = terminal.call("POST", "/v1/eligibility/id-renewal", body).json()
    assert (found["eligible"], found["reason"]) == (expected is None, expected)


def test_an_unknown_citizen_is_not_eligible(backend: Backend) -> None:
    terminal = backend.enrol()
    body = {"id_number": id_number("19900101", 999), "reason": "expiry"}
    found = terminal.call("POST", "/v1/eligibility/id-renewal", body).json()
    assert found == {"eligible": False, "reason": "not_registered", "options": []}


@pytest.mark.parametrize(
    ("permit", "expected"),
    [
        ("W1000007", "booklet"),
        ("C10000002", "state_employee"),
        ("C10000003", "first_use"),
        ("C10000004", "exit_entry_check"),
        ("C10000005", "permit_expiring"),
        ("C10000006", "interval"),
        ("C99999999", "not_registered"),
    ],
)
def test_endorsement_refusals(backend: Backend, permit: str, expected: str) -> None:
    terminal = backend.enrol()
    found = terminal.call("POST", "/v1/eligibility/endorsement", {"permit_number": permit}).json()
    assert (found["eligible"], found["reason"]) == (False, expected)


def test_endorsement_options_follow_the_permits_validity(backend: Backend) -> None:
    terminal = backend.enrol()
    found = terminal.call("POST", "/v1/eligibility/endorsement", {"permit_number": "C10000001"})
    options = {(o["type"], o["months"]) for o in found.json()["options"]}
    assert options == {(t, m) for t in "GLT" for m in (3, 12)}
    backend.clock.advance(365.25 * 86400 * 3.1)  # the permit has ~11 months left
    found = terminal.call("POST", "/v1/eligibility/endorsement", {"permit_number": "C10000001"})
    assert {o["months"] for o in found.json()["options"]} == {3}


def test_a_photo_is_found_by_its_receipt_number(backend: Backend) -> None:
    terminal = backend.enrol()
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0 not really a face").decode()
    terminal.records(record("photo-00001", kind="photo", receipt="R20261118001", jpeg_base64=jpeg))
    found = terminal.call("POST", "/v1/photos/lookup", {"receipt": "R20261118001"}).json()
    assert found["jpeg_base64"] == jpeg and found["stored_at"] == backend.clock()
    missing = terminal.call("POST", "/v1/photos/lookup", {"receipt": "R0000"})
    assert missing.status_code == 404 and missing.json()["code"] == "no_photo"


def test_a_proof_is_issued_signed_and_verifiable_by_anyone(backend: Backend) -> None:
    terminal = backend.enrol()
    ask = {"id_number": citizen_id("traveller"), "doc_type": "cr", "use": "就业"}
    proof = terminal.call("POST", "/v1/proofs", ask).json()
    assert proof["issued"] is True and len(proof["verification_code"]) == 8
    check = backend.http.get("/v1/proofs/verify", params={"code": proof["code"]}).json()
    assert check["valid"] is True and check["holder"] == "测***" and check["use"] == "就业"
    assert citizen_id("traveller") not in proof["code"]
    page = backend.http.get("/verify", params={"code": proof["code"]}).text
    assert "证明有效" in page
    head, payload, signature = proof["code"].split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}AAAA"
    assert (
        backend.http.get("/v1/proofs/verify", params={"code": tampered}).json()["reason"]
        == "forged"
    )
    assert (
        backend.http.get("/v1/proofs/verify", params={"code": "junk"}).json()["reason"]
        == "unreadable"
    )
    backend.clock.advance(91 * 86400)
    late = backend.http.get("/v1/proofs/verify", params={"code": proof["code"]}).json()
    assert (late["valid"], late["reason"]) == (False, "expired")


def test_a_criminal_record_is_not_printed_and_a_fourth_proof_needs_a_reason(
    backend: Backend,
) -> None:
    terminal = backend.enrol()
    refused = terminal.call("POST", "/v1/proofs", {
        "id_number": citizen_id("record"), "doc_type": "cr", "use": "就业"
    }).json()  # fmt: skip
    assert (refused["issued"], refused["reason"], refused["code"]) == (False, "record_found", None)
    ask = {"id_number": citizen_id("traveller"), "doc_type": "cr", "use": "留学"}
    assert all(terminal.call("POST", "/v1/proofs", ask).json()["issued"] for _ in range(3))
    fourth = terminal.call("POST", "/v1/proofs", ask).json()
    assert (fourth["issued"], fourth["reason"]) == (False, "reason_required")
    assert terminal.call("POST", "/v1/proofs", {**ask, "reason": "签证补件"}).json()["issued"]
