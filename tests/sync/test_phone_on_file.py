"""The terminal's side of the phone number on file (issue #18, item 3): the renewal
check's answer names it in `data.phone`, where the flow's contact step reads it
(`known: eligibility.data.phone`), once an earlier application gave it."""

from __future__ import annotations

import pytest

from backend.registry import citizen_id
from kiosk.steps.backend import BackendServices
from tests.sync.conftest import Terminal
from tests.sync.test_backend_services import _run
from wire.services import Eligibility

PHONE = "13912345678"


@pytest.fixture
def services(terminal: Terminal) -> BackendServices:
    return BackendServices(terminal.client, terminal.outbox)


def test_the_phone_of_an_earlier_application_comes_back_in_the_eligibility_data(
    services: BackendServices, terminal: Terminal
) -> None:
    citizen = citizen_id("renewal_due")
    first = _run(services, "id_renewal_eligibility", id_number=citizen, reason="renewal")
    assert first == {"result": {"status": "eligible", "data": {"allowed": [], "options": []}}}
    _run(services, "submit_id_application", id_number=citizen, reason="renewal",
         delivery="pickup", phone=PHONE)  # fmt: skip
    assert terminal.link.relay.drain().sent == 1
    again = _run(services, "id_renewal_eligibility", id_number=citizen, reason="renewal")
    assert again["result"]["status"] == "eligible"
    assert again["result"]["data"]["phone"] == PHONE
    minor = _run(services, "id_renewal_eligibility", id_number=citizen_id("minor"),
                 reason="renewal")  # fmt: skip
    assert minor["result"] == {"status": "ineligible", "data": {"reason": "minor"}}


def test_the_answer_of_an_older_backend_reads_as_before() -> None:
    """No `phone` in the answer: no `phone` in the data (the citizen types it)."""
    from kiosk.steps.backend import _eligibility

    older = Eligibility.model_validate_json('{"eligible": true, "reason": null, "options": []}')
    assert _eligibility(older) == {"status": "eligible", "data": {"allowed": [], "options": []}}
    newer = Eligibility.model_validate_json(f'{{"eligible": true, "phone": "{PHONE}"}}')
    assert _eligibility(newer)["data"]["phone"] == PHONE
    with pytest.raises(ValueError):  # not a number the contact step could offer
        Eligibility.model_validate_json('{"eligible": true, "phone": "12345"}')
