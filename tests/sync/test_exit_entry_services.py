"""The exit-entry application's backend steps (issue #23) from the terminal's side, on
a real backend: the check asks it and waits for its word; the application goes through
the encrypted outbox and arrives once, with no personal data in the terminal's log."""

from __future__ import annotations

import logging

from backend.registry import citizen_id
from kiosk.steps.backend import BackendServices
from tests.services.backend import LiveBackend
from tests.sync.conftest import Terminal
from tests.sync.test_backend_services import _run, services

__all__ = ["services"]  # the terminal's backend services, a fixture of this module too


def test_the_check_answers_with_the_reason_or_the_day_to_collect(
    services: BackendServices, live_backend: LiveBackend
) -> None:
    held = _run(services, "exit_entry_eligibility", id_number=citizen_id("traveller"),
                document="hk_macau_permit")  # fmt: skip
    assert held["result"] == {"status": "ineligible",
                              "data": {"reason": "already_holds_valid_document"}}  # fmt: skip
    passport = _run(services, "exit_entry_eligibility", id_number=citizen_id("traveller"),
                    document="passport")  # fmt: skip
    assert passport["result"]["status"] == "eligible"
    assert len(passport["result"]["data"]["pickup_date"]) == 10
    # a document the wire does not know: the citizen's input, never a traceback
    wrong = _run(services, "exit_entry_eligibility", id_number=citizen_id("traveller"),
                 document="visa")  # fmt: skip
    assert wrong == {"fail": "invalid_data", "recovery": "user_action"}


def test_the_application_is_queued_and_delivered_once_unlogged(
    services: BackendServices, terminal: Terminal, live_backend: LiveBackend, caplog
) -> None:
    citizen = citizen_id("traveller")
    with caplog.at_level(logging.DEBUG):
        sent = _run(services, "submit_exit_entry_application", id_number=citizen,
                    document="passport", destination="europe", purpose="tourism",
                    phone="13912345678", contact_phone="13800138000",
                    signature="sig-1", payment="P-120")  # fmt: skip
        assert sent["result"]["status"] == "submitted"
        assert sent["result"]["queued_id"].startswith("E")
        assert terminal.outbox.status()["depth"] == 1
        assert terminal.link.relay.drain().sent == 1
    logged = caplog.text
    for secret in (citizen, "13912345678", "13800138000"):
        assert secret not in logged
