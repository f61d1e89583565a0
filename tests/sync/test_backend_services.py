"""The flows' backend step on a real backend: online checks wait for its word, queued
operations go through the encrypted outbox and arrive once."""

from __future__ import annotations

import base64
import queue
import subprocess
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import AuditEntry, Photo
from backend.registry import citizen_id
from backend.vault import load_vault
from kiosk.steps.backend import BackendServices
from tests.services.backend import LiveBackend
from tests.sync.conftest import Terminal
from wire.proof import PREFIXES
from wire.services import PhotoLookup

JPEG = b"\xff\xd8\xff\xe0 a portrait"


@pytest.fixture
def services(terminal: Terminal) -> BackendServices:
    services = BackendServices(terminal.client, terminal.outbox)
    services.session_photos = lambda ref: JPEG if ref == "photo-1" else None
    return services


def _run(services: BackendServices, operation: str, **data: Any) -> dict[str, Any]:
    answers: queue.Queue[dict[str, Any]] = queue.Queue()
    params = {"operation": operation, "data": {k: f"ref.{k}" for k in data}}
    inputs = {f"ref.{k}": v for k, v in data.items()}
    services.start("backend", params, inputs, answers.put)
    return answers.get(timeout=20)


def test_renewal_eligibility_asks_the_backend(services: BackendServices) -> None:
    due = _run(services, "id_renewal_eligibility", id_number=citizen_id("renewal_due"),
               reason="renewal")  # fmt: skip
    assert due == {"result": {"status": "eligible", "data": {"allowed": [], "options": []}}}
    typed = _run(services, "id_renewal_eligibility", id_number=None,
                 typed_id_number=citizen_id("minor"), reason="lost")  # fmt: skip
    assert typed["result"] == {"status": "ineligible", "data": {"reason": "minor"}}


def test_endorsement_options_come_from_the_backend(services: BackendServices) -> None:
    found = _run(services, "endorsement_eligibility", permit_number="C10000001")
    assert found["result"]["data"]["allowed"] == ["G", "L", "T"]
    refused = _run(services, "endorsement_eligibility", permit_number="W1000007")
    assert refused["result"] == {"status": "ineligible", "data": {"reason": "booklet"}}


def test_a_proof_is_issued_with_its_signed_code(services: BackendServices, suite: str) -> None:
    found = _run(services, "criminal_record_proof", id_number=citizen_id("traveller"),
                 use="employment")  # fmt: skip
    assert found["result"]["status"] == "issued"
    assert found["result"]["data"]["code"].startswith(PREFIXES[suite] + ".")  # the deployment's
    record = _run(services, "criminal_record_proof", id_number=citizen_id("record"), use="study")
    assert record["result"]["status"] == "not_issued"


def test_queued_operations_go_through_the_outbox(
    services: BackendServices, terminal: Terminal, live_backend: LiveBackend
) -> None:
    photo = _run(services, "store_photo", photo="photo-1", receipt="R20261118007",
                 document="id_card")  # fmt: skip
    assert photo["result"] == {"status": "stored", "queued_id": "R20261118007"}
    application = _run(services, "submit_id_application", id_number=citizen_id("renewal_due"),
                       reason="renewal", delivery="pickup", phone="13800000000")  # fmt: skip
    receipt = application["result"]["queued_id"]
    assert application["result"]["status"] == "submitted" and receipt.startswith("A")
    tickets = [_run(services, "issue_queue_ticket", service=s)["result"]["data"]["number"]
               for s in ("id_card", "id_card", "traffic")]  # fmt: skip
    assert tickets == ["A001", "A002", "D001"]
    assert terminal.outbox.status()["depth"] == 5
    assert terminal.link.relay.drain().sent == 5
    ask = PhotoLookup(receipt="R20261118007")
    stored = terminal.client.call("POST", "/v1/photos/lookup", ask).json()
    assert base64.b64decode(stored["jpeg_base64"]) == JPEG


def test_a_photo_names_its_citizen_when_the_flow_knows_them(
    services: BackendServices, terminal: Terminal, live_backend: LiveBackend
) -> None:
    """Then another terminal may fetch it with the receipt and ID number together."""
    live_backend.app.state.vault = load_vault(live_backend.settings.data_dir)
    citizen = citizen_id("renewal_due")
    _run(services, "store_photo", photo="photo-1", receipt="R20261118008", id_number=citizen)
    _run(services, "store_photo", photo="photo-1", receipt="R20261118009", id_number="nonsense")
    assert terminal.link.relay.drain().sent == 2  # a wrong number is left out, not refused
    with Session(live_backend.app.state.engine) as db:
        hashes = dict(db.execute(select(Photo.receipt, Photo.id_hash)).all())
    assert hashes["R20261118008"] == live_backend.app.state.vault.id_hash(citizen)
    assert hashes["R20261118009"] is None


def test_lookups_name_the_citizen_session_they_are_made_for(
    services: BackendServices, live_backend: LiveBackend
) -> None:
    services.citizen_session = lambda: "s-0042"
    _run(services, "id_renewal_eligibility", id_number=citizen_id("renewal_due"), reason="renewal")
    services.citizen_session = lambda: None
    _run(services, "endorsement_eligibility", permit_number="C10000001")
    with Session(live_backend.app.state.engine) as db:
        entries = db.execute(select(AuditEntry.action, AuditEntry.session)).all()
    assert entries == [("lookup_renewal", "s-0042"), ("lookup_endorsement", None)]


def test_offline_online_checks_fail_and_queued_ones_still_work(
    services: BackendServices, terminal: Terminal, live_backend: LiveBackend
) -> None:
    live_backend.stop()
    check = _run(services, "id_renewal_eligibility", id_number=citizen_id("renewal_due"),
                 reason="renewal")  # fmt: skip
    assert check == {"fail": "offline", "recovery": "retry"}
    ticket = _run(services, "issue_queue_ticket", service="household")
    assert ticket["result"]["data"]["number"] == "C001"


def test_what_cannot_make_a_request_fails_the_step(services: BackendServices) -> None:
    bad = _run(services, "id_renewal_eligibility", id_number="12345", reason="renewal")
    assert bad == {"fail": "invalid_data", "recovery": "user_action"}
    no_photo = _run(services, "store_photo", photo="nothing", receipt="R1")
    assert no_photo["fail"] == "invalid_data"
    unknown = _run(services, "teleport")
    assert unknown == {"fail": "unsupported", "recovery": "operator"}


def test_a_terminal_not_enrolled_is_offline_for_checks(terminal: Terminal) -> None:
    services = BackendServices(None, terminal.outbox)
    check = _run(services, "endorsement_eligibility", permit_number="C10000001")
    assert check == {"fail": "offline", "recovery": "retry"}


def test_a_sessions_end_and_its_rating_reach_the_backend(
    services: BackendServices, terminal: Terminal, live_backend: LiveBackend
) -> None:
    services.session_ended("s-0001", "id_photo", "completed", 5)
    services.session_ended("s-0002", "queue_ticket", "abandoned", None)
    assert terminal.link.relay.drain().sent == 3
    summary = live_backend.app.state.engine
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.db import Rating, StoredRecord

    with Session(summary) as db:
        kinds = [(r.kind, r.session) for r in db.scalars(select(StoredRecord))]
        (rating,) = db.scalars(select(Rating)).all()
    assert kinds == [("audit", "s-0001"), ("rating", "s-0001"), ("audit", "s-0002")]
    assert (rating.transaction, rating.service, rating.stars) == ("s-0001", "id_photo", 5)


def test_a_relatives_proof_from_the_backend_is_laid_out_with_the_registers_details(
    services: BackendServices, live_backend: LiveBackend
) -> None:
    """The other person's ID number and the relation go to the backend; its signed code
    and details come back and are laid out as the print step lays them out, checked
    against the backend's issuer keys (the deployment's suite)."""
    from kiosk.citypack import load_pack
    from kiosk.steps.printing import PrintServices
    from kiosk.strings import catalogue
    from wire import proof as kp

    holder, parent = citizen_id("traveller"), citizen_id("late_parent")
    found = _run(services, "death_proof", id_number=holder, use="inheritance",
                 relative_id_number=parent, relation="parent")  # fmt: skip
    assert found["result"]["status"] == "issued", found
    data = found["result"]["data"]
    stated = data["details"]
    assert (stated["deceased_name"], stated["relation"]) == ("测试已故", "mother")
    keys = live_backend.app.state.issuers.current().public_keys
    trusted = {key_id: kp.public_key_from_text(text) for key_id, text in keys.items()}
    printing = PrintServices({}, load_pack, catalogue(), "T1", lambda: trusted)
    pdf = printing.proof({"proof": data, "name": "测试旅客", "sex": "女", "id_number": holder})
    words = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True,
                           check=True).stdout.decode()  # fmt: skip
    assert "测试已故系申请人测试旅客" in "".join(words.split())
    unrelated = _run(services, "kinship_proof", id_number=holder, use="other",
                     relative_id_number=citizen_id("moved_out"), relation="sibling")  # fmt: skip
    assert unrelated["result"] == {"status": "not_issued",
                                   "data": {"reason": "relation_not_on_record"}}  # fmt: skip
    mistyped = _run(services, "kinship_proof", id_number=holder, use="other",
                    relative_id_number="12345", relation="sibling")  # fmt: skip
    assert mistyped == {"fail": "invalid_data", "recovery": "user_action"}
