"""自助取证 (issue #23) through the real QML on every simulated device, as `make run`
gives it: the ID card on the reader, the simulated registry's finished ID card found,
the face check, then the document out of the card transport simulator's storage
slot (loaded as the desk loads one: flows/demo.py), taken at the gate by the
simulated citizen, the slot's record cleared from the book, the receipt printed.
A jammed transport hands nothing out: the counter, its slip, the card back.
The touch count is the session's step records' (tests/ui/test_touches.py)."""

from __future__ import annotations

import pytest

from flows.demo import DEMO_PICKUP, load_demo_pickup
from kiosk.strings import catalogue
from tests.ui.helpers import on_simulated_devices
from tests.ui.test_touches import PLANS, TARGETS, serve

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def terminal(qapp, pcscd_service, tmp_path_factory):
    with on_simulated_devices(tmp_path_factory.mktemp("pickup")) as built:
        yield built


def book_of(terminal):
    (dispenser,) = [p for p in terminal.step_services.parts if hasattr(p, "book")]
    return dispenser.book


def test_a_finished_card_is_collected_from_its_slot(qtbot, terminal) -> None:
    transport = terminal.devices.simulators["card_transport"]
    book = book_of(terminal)
    slot = book.slot_of(DEMO_PICKUP)
    assert slot is not None and transport.profile.slots[slot - 1] == f"DOC-{DEMO_PICKUP}"
    steps = serve(qtbot, terminal, "document_pickup", PLANS["document_pickup"])
    path = [(s["step"], s["mode"], s["left_by"], s["taps"]) for s in steps]
    assert steps[-1]["step"] == "finished" and steps[-1]["mode"] == "normal", path
    for step in ("read_card", "lookup", "face", "dispense", "slip", "give_back"):
        assert step in [s["step"] for s in steps], path
    # the card transport's simulator handed it out at the gate and the citizen took it
    assert transport.taken == [f"DOC-{DEMO_PICKUP}"] and not transport.captured
    assert transport.profile.slots[slot - 1] == "" and transport.position == "none"
    # the slot's record is gone from the book
    assert book.slot_of(DEMO_PICKUP) is None and slot not in book.held()
    slip = "\n".join(terminal.devices.simulators["receipt_printer"].slips[-1].lines)
    said = catalogue().text
    assert said("documents.slip.pickup_receipt.title", "zh_CN") in slip
    assert said("flow.pickup.document.id_card", "zh_CN") in slip
    assert DEMO_PICKUP in slip and "11**************2X" in slip
    assert "11010519491231002X" not in slip  # the ID number never in the clear
    taps = terminal.shell.last_taps
    by_step = {s["step"]: s["taps"] for s in steps if s["taps"]}
    print(f"document_pickup: {taps} taps {by_step}")
    assert taps == 1 + sum(s["taps"] for s in steps)  # the tile, then every step's
    assert taps <= TARGETS["document_pickup"], (taps, by_step)


def test_a_jammed_transport_hands_nothing_out_and_sends_to_the_counter(qtbot, terminal):
    transport = terminal.devices.simulators["card_transport"]
    printer = terminal.devices.simulators["receipt_printer"]
    book = book_of(terminal)
    slot = load_demo_pickup(transport, book)  # staff loaded another (the first was taken)
    taken = list(transport.taken)  # the first test's
    transport.transport = "jammed"
    plan = {**PLANS["document_pickup"], "not_dispensed": ["button_continue"],
            "cancelled": ["button_finish"]}  # fmt: skip
    try:
        steps = serve(qtbot, terminal, "document_pickup", plan)
    finally:
        transport.transport = "ok"
    names = [s["step"] for s in steps]
    assert names[-4:] == ["not_dispensed", "counter_slip", "give_back_on_cancel", "cancelled"]
    assert "pay" not in names and transport.taken == taken  # nothing out, nothing charged
    # the document is still in its slot, and the book still says so
    assert transport.profile.slots[slot - 1] == f"DOC-{DEMO_PICKUP}"
    assert book.slot_of(DEMO_PICKUP) == slot
    slip = "\n".join(printer.slips[-1].lines)
    assert catalogue().text("documents.slip.referral.title", "zh_CN") in slip
