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
from tests.ui.helpers import on_screen, on_simulated_devices, tap, texts
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
    # the done screen finished with a tap rather than waited out (its own 10 s)
    plan = {**PLANS["document_pickup"], "finished": ["button_finish"]}
    steps = serve(qtbot, terminal, "document_pickup", plan)
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
    assert taps - by_step["finished"] <= TARGETS["document_pickup"], (taps, by_step)


def test_a_jammed_transport_hands_nothing_out_and_sends_to_the_counter(qtbot, terminal):
    transport = terminal.devices.simulators["card_transport"]
    printer = terminal.devices.simulators["receipt_printer"]
    book = book_of(terminal)
    slot = load_demo_pickup(transport, book)  # staff loaded another (the first was taken)
    taken = list(transport.taken)  # the first test's
    transport.transport = "jammed"
    # the pickup notice this time: its QR on the scanner's simulator, then the card
    plan = {**PLANS["document_pickup"], "identify": ["option_notice"],
            "not_dispensed": ["button_continue"], "cancelled": ["button_finish"]}  # fmt: skip
    try:
        steps = serve(qtbot, terminal, "document_pickup", plan)
    finally:
        transport.transport = "ok"
    names = [s["step"] for s in steps]
    assert names[:3] == ["identify", "scan_notice", "read_card"]
    assert names[-4:] == ["not_dispensed", "counter_slip", "give_back_on_cancel", "cancelled"]
    assert "pay" not in names and transport.taken == taken  # nothing out, nothing charged
    # the document is still in its slot, and the book still says so
    assert transport.profile.slots[slot - 1] == f"DOC-{DEMO_PICKUP}"
    assert book.slot_of(DEMO_PICKUP) == slot
    slip = "\n".join(printer.slips[-1].lines)
    assert catalogue().text("documents.slip.referral.title", "zh_CN") in slip


def test_not_yet_ready_says_the_day_on_the_screen(qtbot, terminal, monkeypatch) -> None:
    """The registry's refusal with its day: the message on the screen names the day
    (the info step's values filled into the QML's text); nothing leaves a slot."""
    (registry,) = [p for p in terminal.step_services.parts if hasattr(p, "_pickup")]
    answer = {"status": "not_ready", "data": {"reason": "not_yet_ready",
                                              "ready_date": "2026-12-24"}}  # fmt: skip
    monkeypatch.setattr(registry, "_pickup", lambda data: answer)
    transport = terminal.devices.simulators["card_transport"]
    taken = list(transport.taken)
    seen: list[str] = []

    def read_the_screen(kiosk) -> None:
        qtbot.waitUntil(lambda: any("2026-12-24" in t for t in texts(kiosk)), timeout=10_000)
        seen.extend(texts(kiosk))
        tap(kiosk, "button_continue")

    plan = {"identify": ["option_card"], "not_ready": read_the_screen,
            "cancelled": ["button_finish"]}  # fmt: skip
    steps = serve(qtbot, terminal, "document_pickup", plan)
    assert [s["step"] for s in steps][-3:] == ["not_ready", "give_back_on_cancel", "cancelled"]
    said = catalogue().text("flow.pickup.why.not_yet_ready", "zh_CN", ready_date="2026-12-24")
    assert said in seen and "{ready_date}" not in " ".join(seen)
    assert transport.taken == taken


def test_the_document_sent_by_post_paid_and_its_receipt(qtbot, terminal) -> None:
    """The postal path through the QML: 邮寄 chosen, the card's address taken with one
    tap and a phone number typed, confirmed, 20 yuan paid by the code the simulated
    citizen shows the scanner, the delivery submitted, the receipt says the fee and
    the post; nothing leaves a slot, nothing reaches the gate."""
    transport = terminal.devices.simulators["card_transport"]
    printer = terminal.devices.simulators["receipt_printer"]
    taken, slips = list(transport.taken), len(printer.slips)
    phone = "13912345678"

    def address_and_phone(kiosk) -> None:
        qtbot.waitUntil(lambda: on_screen(kiosk, "button_use_known"), timeout=10_000)
        tap(kiosk, "button_use_known")  # the card's address
        qtbot.waitUntil(lambda: on_screen(kiosk, "key_1"), timeout=10_000)
        for digit in phone:
            tap(kiosk, f"key_{digit}")
        tap(kiosk, "button_next")

    plan = {**PLANS["document_pickup"], "delivery": ["option_post"],
            "address": address_and_phone, "check": ["button_confirm"],
            "finished": ["button_finish"]}  # fmt: skip
    steps = serve(qtbot, terminal, "document_pickup", plan)
    names = [s["step"] for s in steps]
    path = [(s["step"], s["left_by"]) for s in steps]
    assert names[-7:] == ["check", "pay", "submit", "postal_slip", "give_back", "rating",
                          "finished"], path  # fmt: skip
    assert "dispense" not in names and transport.taken == taken
    paid = next(s for s in steps if s["step"] == "pay")
    assert paid["left_by"] == "completed", path
    assert len(printer.slips) == slips + 1
    slip = "\n".join(printer.slips[-1].lines)
    said = catalogue().text
    assert said("documents.slip.pickup_receipt.fee", "zh_CN", amount="20.00") in slip, slip
    assert said("documents.slip.pickup_receipt.posted", "zh_CN") in slip
    assert said("flow.pickup.delivery.post", "zh_CN") in slip and DEMO_PICKUP in slip
    assert phone not in slip and "11010519491231002X" not in slip  # neither on paper
