"""A citizen's session cut by a power loss, settled at the next start on the
terminal's real step services (flows/recovery.py): paid and not yet served, the
refund goes into the encrypted outbox for the backend and the voucher comes out of
the receipt printer; the end is reported as every session's is. A printer that is
not there, or a step that never answers, ends the settling as `recovery_failed`
(for a person), never a start that hangs or a refund recorded as made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flows.loader import flow_files, load_flow
from flows.model import Flow
from flows.recovery import settle_open_sessions
from flows.runner import HeadlessRunner, load_script
from kiosk.documents.gallery import PACK
from kiosk.steps.backend import BackendServices
from kiosk.steps.chain import ServiceChain
from kiosk.steps.printing import PrintServices
from kiosk.strings import catalogue
from offline_cache.journal import Journal
from tests.services.escpos import receipt_printer
from tests.services.power import CutJournal, PowerCut
from tests.sync.conftest import Terminal

ANSWERS = Path(__file__).resolve().parents[1] / "flows" / "id_renewal.lost.answers.yaml"


@pytest.fixture
def flows() -> dict[str, Flow]:
    return {f.flow: f for f in (load_flow(p, catalogue()) for p in flow_files())}


@pytest.fixture
def printer():
    with receipt_printer() as found:
        yield found


def _cut(terminal: Terminal, flows: dict[str, Flow], cut_after: Any) -> Journal:
    """A lost-card renewal (paid 40 yuan by card, P-77) run until the power goes."""
    journal = Journal(terminal.outbox.db)
    with pytest.raises(PowerCut):
        HeadlessRunner(
            flows["id_renewal"], load_script(ANSWERS), CutJournal(journal.db, cut_after)
        ).run()
    return journal


def _services(terminal: Terminal, drivers: dict[str, Any]) -> ServiceChain:
    printing = PrintServices(drivers, lambda: PACK, catalogue(), "BJ-DC-0007",
                             lambda: {})  # fmt: skip
    return ServiceChain(BackendServices(terminal.client, terminal.outbox), printing)


def _queued(terminal: Terminal) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for pending in terminal.outbox.due(limit=1000):
        found.setdefault(pending.kind, []).append(pending.record)
    return found


def test_paid_and_cut_before_the_service_the_citizen_is_refunded_with_a_voucher(
    terminal: Terminal, flows: dict[str, Flow], printer: Any
) -> None:
    simulator, driver = printer
    journal = _cut(terminal, flows, lambda entry: entry.committed)  # just paid
    (found,) = journal.open_sessions()
    assert found.committed and found.facts_by_step["pay"]["payment_ref"] == "P-77"
    pings: list[str] = []
    services = _services(terminal, {"receipt_printer": driver})
    (settled,) = settle_open_sessions(journal, flows, services, alive=pings.append)
    assert settled["outcome"] == "recovered"
    assert [s["step"] for s in settled["steps"]] == ["refund", "voucher", "refunded"]
    assert journal.open_sessions() == []
    queued = _queued(terminal)
    assert queued["payment"] == [
        {"out_trade_no": "P-77", "state": "REFUND_REQUESTED", "amount_fen": 4000}
    ]
    (audit,) = queued["audit"]
    assert (audit["event"], audit["flow"], audit["outcome"]) == (
        "session_ended", "id_renewal", "recovered"
    )  # fmt: skip
    voucher = "\n".join(simulator.slips[-1].lines)
    assert "40.00" in voucher and "钱多多" not in voucher
    assert pings and all("voucher" in p or "refund" in p for p in pings)
    # the backend takes what the settling queued
    sent = terminal.link.relay.drain()
    assert (sent.sent, sent.failed) == (2, 0)


def test_without_the_receipt_printer_the_settling_fails_for_a_person_but_the_refund_goes(
    terminal: Terminal, flows: dict[str, Flow]
) -> None:
    journal = _cut(terminal, flows, lambda entry: entry.committed)
    (settled,) = settle_open_sessions(journal, flows, _services(terminal, {}))
    assert settled["outcome"] == "recovery_failed"
    assert journal.open_sessions() == []
    queued = _queued(terminal)
    assert queued["payment"][0]["state"] == "REFUND_REQUESTED"
    assert queued["audit"][0]["outcome"] == "recovery_failed"


def test_a_print_step_that_breaks_fails_at_once_it_does_not_hang(
    terminal: Terminal, flows: dict[str, Flow], printer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, driver = printer
    journal = _cut(terminal, flows, lambda entry: entry.committed)
    broken = PrintServices({"receipt_printer": driver}, lambda: 1 / 0, catalogue(), "T", lambda: {})
    services = ServiceChain(BackendServices(terminal.client, terminal.outbox), broken)
    (settled,) = settle_open_sessions(journal, flows, services, wait_s=30)
    assert settled["outcome"] == "recovery_failed"
    voucher = next(s for s in settled["steps"] if s["step"] == "voucher")
    assert voucher["left_by"] == "failed"
    said = [r.getMessage() for r in caplog.records]
    assert "print refund_voucher failed" in said  # it answered: not given up on
    assert not any("did not answer" in line for line in said)


def test_a_step_that_never_answers_is_given_up_and_cancelled(
    terminal: Terminal, flows: dict[str, Flow]
) -> None:
    journal = _cut(terminal, flows, lambda entry: entry.committed)
    cancelled: list[str] = []

    class Silent:
        def serves(self, step_type: str) -> bool:
            return True

        def start(self, step_type: str, params: Any, inputs: Any, finish: Any) -> Any:
            return lambda: cancelled.append(step_type)

    (settled,) = settle_open_sessions(journal, flows, Silent(), wait_s=0.3)
    assert settled["outcome"] == "recovery_failed"
    assert cancelled == ["backend"]  # the refund, given up; nothing else was tried
    assert journal.open_sessions() == []


def test_cut_before_anything_was_committed_nothing_is_refunded(
    terminal: Terminal, flows: dict[str, Flow], printer: Any
) -> None:
    _, driver = printer
    journal = _cut(terminal, flows, lambda entry: entry.to_step == "contact")
    (found,) = journal.open_sessions()
    assert not found.committed
    (settled,) = settle_open_sessions(
        journal, flows, _services(terminal, {"receipt_printer": driver})
    )
    assert settled["outcome"] not in ("recovered", "recovery_failed")
    assert "refund" not in [s["step"] for s in settled["steps"]]
    queued = _queued(terminal)
    assert "payment" not in queued and queued["audit"][0]["outcome"] == settled["outcome"]
    assert journal.open_sessions() == []


def test_a_session_of_a_flow_no_longer_shipped_is_closed_and_reported(
    terminal: Terminal, flows: dict[str, Flow]
) -> None:
    journal = _cut(terminal, flows, lambda entry: entry.committed)
    others = {name: flow for name, flow in flows.items() if name != "id_renewal"}
    (settled,) = settle_open_sessions(journal, others, _services(terminal, {}))
    assert settled["outcome"] == "unknown_flow"
    assert journal.open_sessions() == []
    assert _queued(terminal)["audit"][0]["outcome"] == "unknown_flow"
