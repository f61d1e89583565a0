"""自助取证 (issue #23) headless and on the real card transport driver.

The flow's answers files (kiosk flow run) end to end: collected here, by post with
the fee, refused with the day it will be ready, a jam sent to the counter. The
`dispense_document` step on our driver and the transport simulator (pty): the slot
from the slot book, the document taken at the gate, the backend told in the outbox
and the slot's record gone; not in the book, empty by the unit's own map, not taken
(captured into the retain bin): each said as its own result, nothing dispensed
where nothing should be. The receipt drawn from the printer step's own template."""

from __future__ import annotations

import json
import queue
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from drivers.card_transport.simulator import TransportProfile
from flows.loader import FLOWS_DIR, load_flow
from flows.runner import HeadlessRunner, load_script
from kiosk.documents.gallery import PACK
from kiosk.slots import SLOTS_NOTE, SlotBook
from kiosk.steps.backend import BackendServices
from kiosk.steps.pickup import DocumentDispenser
from kiosk.steps.printing import PrintServices
from kiosk.strings import catalogue
from tests import canary
from tests.services.escpos import receipt_printer

ANSWERS = Path(__file__).resolve().parents[1] / "flows"
REF = "QJ-7K2M9X"
STEP = {"data": {"reference": "lookup.data.reference"}, "retain_after": 0.8}


def run(answers: str) -> dict[str, Any]:
    flow = load_flow(FLOWS_DIR / "document_pickup.yaml")
    return HeadlessRunner(flow, load_script(ANSWERS / answers)).run()


def path(transcript: dict[str, Any]) -> list[str]:
    return [s["step"] for s in transcript["steps"]]


def test_the_answers_files_end_to_end() -> None:
    here = run("pickup.answers.yaml")
    assert here["outcome"] == "done" and "pay" not in path(here)
    assert path(here)[-6:] == ["delivery", "dispense", "slip", "give_back", "rating", "finished"]
    posted = run("pickup.postal.answers.yaml")
    assert "dispense" not in path(posted) and path(posted)[:3] == ["identify", "scan_notice",
                                                                   "read_card"]  # fmt: skip
    pay = next(s for s in posted["steps"] if s["step"] == "pay")
    assert pay["left_by"] == "completed"
    refused = run("pickup.not_ready.answers.yaml")
    assert path(refused)[-3:] == ["not_ready", "give_back_on_cancel", "cancelled"]
    assert "face" not in path(refused)
    jammed = run("pickup.jammed.answers.yaml")
    assert path(jammed)[-4:] == ["not_dispensed", "counter_slip", "give_back_on_cancel",
                                 "cancelled"]  # fmt: skip
    for transcript in (here, posted, refused, jammed):
        assert canary.leaks(str(transcript)) == []


@pytest.fixture
def transport_profile() -> TransportProfile:
    return TransportProfile(slots=[""] * 8)


@pytest.fixture
def receipt():
    with receipt_printer() as printer:
        yield printer


def dispensed(dispenser: DocumentDispenser) -> dict[str, Any]:
    answers: queue.Queue = queue.Queue()
    dispenser.start("dispense_document", STEP, {"lookup.data.reference": REF}, answers.put)
    return answers.get(timeout=10)


def setup(transport, outbox, slot: int = 3) -> tuple[Any, DocumentDispenser, list]:
    driver, sim = transport
    book = SlotBook(outbox, None)
    sim.profile.slots[slot - 1] = "DOC-A"
    book.loaded(slot, REF, "desk-1")
    alerts: list = []
    dispenser = DocumentDispenser(driver, book, BackendServices(None, outbox).pickup_collected,
                                  alert=lambda *a: alerts.append(a))  # fmt: skip
    return sim, dispenser, alerts


def test_taken_at_the_gate_the_backend_told_and_the_slot_cleared(transport, outbox) -> None:
    sim, dispenser, alerts = setup(transport, outbox)
    sim.profile.take_after_s = 0.2  # the citizen takes it once it is at the gate
    assert dispensed(dispenser) == {"result": {"status": "taken", "slot": 3}}
    assert sim.taken == ["DOC-A"] and sim.profile.slots[2] == "" and not alerts
    assert json.loads(outbox.notes()[SLOTS_NOTE]) == {}
    (told,) = [p for p in outbox.due() if p.kind == "application"]
    assert told.idempotency_key == f"pickup-{REF}"
    assert told.record["reference"] == REF and told.record["slot"] == 3
    assert told.record["delivery"] == "here" and "id_number" not in told.record


def test_not_in_the_book_nothing_is_dispensed(transport, outbox) -> None:
    driver, sim = transport
    sim.profile.slots[0] = "DOC-OTHER"
    dispenser = DocumentDispenser(driver, SlotBook(outbox, None), None)
    assert dispensed(dispenser) == {"result": {"status": "not_in_slot", "slot": None}}
    assert sim.profile.slots[0] == "DOC-OTHER" and sim.position == "none"


def test_empty_by_the_units_own_map_is_said_and_the_book_corrected(transport, outbox) -> None:
    sim, dispenser, _ = setup(transport, outbox)
    sim.profile.slots[2] = ""  # taken out by hand: the book did not hear of it
    assert dispensed(dispenser) == {"result": {"status": "slot_empty", "slot": 3}}
    assert sim.position == "none" and json.loads(outbox.notes()[SLOTS_NOTE]) == {}
    assert not [p for p in outbox.due() if p.kind == "application"]  # not collected


def test_not_taken_is_retained_and_not_told_as_collected(transport, outbox) -> None:
    sim, dispenser, alerts = setup(transport, outbox)
    sim.profile.takes_card = False
    answer = dispensed(dispenser)["result"]
    assert answer["status"] == "retained" and answer["retained_record"].startswith("R")
    assert sim.captured == ["DOC-A"] and not sim.taken
    assert json.loads(outbox.notes()[SLOTS_NOTE]) == {}  # it left its slot all the same
    assert alerts and alerts[0][1] == "card_retained"
    assert not [p for p in outbox.due() if p.kind == "application"]


def test_a_jam_is_a_device_error_and_the_slot_kept(transport, outbox) -> None:
    sim, dispenser, alerts = setup(transport, outbox)
    sim.transport = "jammed"
    assert dispensed(dispenser) == {"result": {"status": "device_error", "slot": 3}}
    assert sim.profile.slots[2] == "DOC-A" and alerts[0][1] == "dispense_failed"
    assert json.loads(outbox.notes()[SLOTS_NOTE])["3"]["ref"] == REF


def test_the_postal_receipt_names_the_document_masked_and_the_fee(receipt) -> None:
    """The flow's own print step on the receipt printer's simulator (ESC/POS on a pty)."""
    simulator, driver = receipt
    printing = PrintServices({"receipt_printer": driver}, lambda: PACK, catalogue(), "BJ-DC-0007",
                             lambda: {})  # fmt: skip
    flow = load_flow(FLOWS_DIR / "document_pickup.yaml", catalogue())
    answers: queue.Queue = queue.Queue()
    printing.start("print", flow.step("postal_slip").params().model_dump(), {
        "read_card.name": "钱多多", "lookup.data.document": "hk_macau_permit",
        "lookup.data.document_number": "C2*****08", "lookup.data.reference": "QJ-2H8P4R",
        "delivery": "post", "pay.payment_ref": "P-20", "pay.amount_fen": 2000,
        "submit.queued_id": "Y20261205AB12CD34",
    }, answers.put)  # fmt: skip
    assert answers.get(timeout=60)["result"]["state"] == "printed"
    text = "\n".join(simulator.slips[-1].lines)
    said = catalogue().text
    assert said("flow.pickup.document.hk_macau_permit", "zh_CN") in text
    assert said("flow.pickup.delivery.post", "zh_CN") in text
    assert "20.00" in text and "C2*****08" in text and "QJ-2H8P4R" in text
    assert "钱**" in text and "钱多多" not in text
    # read back by a decoder written elsewhere, from the paper as the simulator printed
    # it: the code the counter scans is the pickup's reference
    read = [code.text for code in zxingcpp.read_barcodes(Image.open(simulator.slips[-1].png))]
    assert any("QJ-2H8P4R" in code for code in read), read
