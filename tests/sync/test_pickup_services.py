"""自助取证's backend steps (issue #23) from the terminal's side, on a real backend: the
lookup asks it and says the document masked or why not; the document taken at the
gate is told through the encrypted outbox, and the backend then knows it collected."""

from __future__ import annotations

from backend.registry import citizen_id
from kiosk.steps.backend import BackendServices
from tests.services.backend import LiveBackend
from tests.sync.conftest import Terminal
from tests.sync.test_backend_services import _run, services

__all__ = ["services"]  # the terminal's backend services, a fixture of this module too
REF = "QJ-7K2M9X"


def test_the_lookup_then_the_collection_told_once(
    services: BackendServices, terminal: Terminal, live_backend: LiveBackend
) -> None:
    held = _run(services, "pickup_lookup", id_number=citizen_id("state_employee"))
    assert held["result"] == {"status": "not_ready", "data": {"reason": "held_for_counter"}}
    ready = _run(services, "pickup_lookup", id_number=citizen_id("sample_card"), reference=REF)
    assert ready["result"]["status"] == "ready"
    assert ready["result"]["data"]["reference"] == REF
    assert citizen_id("sample_card") not in str(ready)  # masked: 11**************2X
    services.pickup_collected(REF, 3)
    assert terminal.link.relay.drain().sent == 1
    again = _run(services, "pickup_lookup", id_number=citizen_id("sample_card"))
    assert again["result"] == {"status": "not_ready", "data": {"reason": "already_collected"}}
    # a notice that is not one: the citizen's input, never a traceback
    wrong = _run(services, "pickup_lookup", id_number=citizen_id("sample_card"), reference="x")
    assert wrong == {"fail": "invalid_data", "recovery": "user_action"}
