"""The `dispense_document` step (自助取证): the finished document the backend named,
from the card transport's storage slot that holds it to the gate, for its citizen.

The slot comes from the slot book (kiosk/slots.py: staff loaded it from the desk,
naming the pickup reference); the unit's own slot map is asked first, so a slot the
book still names but the unit says is empty is never dispensed from. The document
goes to the gate (`dispense`), and waits there as a card given back does (the
driver's `present`: taken in time, or captured into the retain bin). Either way it
has left its slot: the book's record goes, with its device_event, and a document
taken is told to the backend (an outbox record, the pickup's own key) before the
book is cleared, so that a crash between the two leaves a stale book entry that the
desk shows, never a document handed out twice.

Every failure is a result, not a fault, so the flow can say why at the counter:
`not_in_slot`, `slot_empty`, `device_error` (a jam or another refusal: a
technician is alerted). Nothing is charged on this path. Qt-free, engine-free.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk.device_media import occupied_slots
from kiosk.slots import SlotBook, valid_reference
from kiosk.steps.devices import Finish

log = logging.getLogger("kiosk.pickup")

RETAIN_AFTER_S = 30.0  # a document left at the gate this long goes to the retain bin


class DocumentDispenser:
    """`transport`: the card transport's driver; `book`: the terminal's slot book;
    `collected(reference, slot)`: tells the backend (None: not enrolled, said in the
    log); `alert(device, status, detail)`: a technician told at once; `citizen`: on
    simulated devices, who takes the document at the gate (kiosk/simulated.py)."""

    def __init__(
        self,
        transport: Any,
        book: SlotBook,
        collected: Callable[[str, int], None] | None,
        alert: Callable[[str, str, str], None] = lambda device, status, detail: None,
        clock: Callable[[], float] = time.time,
        citizen: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.transport, self.book, self.collected = transport, book, collected
        self.citizen = citizen or (lambda step_type, params: None)
        self.alert, self.clock = alert, clock
        self.retain_slip: Callable[[str], bool] = lambda record: False
        self.fallback = None

    def serves(self, step_type: str) -> bool:
        return step_type == "dispense_document"

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        """The returned function forgets the step: a document already moving is
        finished all the same (taken or retained, the book kept true)."""
        forgotten = threading.Event()
        ref = str(inputs.get(str(params.get("data", {}).get("reference"))) or "")
        take_s = float(params.get("retain_after") or RETAIN_AFTER_S)
        self.citizen(step_type, params)

        def run() -> None:
            try:
                answer = self._dispense(ref, take_s)
            except Exception:  # a bug of ours: said, never a hang
                log.exception("the document could not be dispensed")
                answer = {"result": {"status": "device_error"}}
            if not forgotten.is_set():
                finish(answer)

        threading.Thread(target=run, daemon=True, name="dispense-document").start()
        return forgotten.set

    def wipe(self) -> None:
        """Nothing of the session is kept here (the reference is not personal)."""

    def _dispense(self, ref: str, take_s: float) -> dict[str, Any]:
        if not valid_reference(ref):
            log.error("no pickup reference to dispense: the step's data names none")
            return {"fail": "invalid_data", "recovery": "operator"}
        slot = self.book.slot_of(ref)
        if slot is None:
            log.warning("pickup %s: no storage slot holds it by the book", ref)
            return _result("not_in_slot")
        status = self.transport.query_status().result()
        if not status.ok:
            return self._fault(slot, ref, status)
        unit = occupied_slots(str(status.data.get("slots", "")))
        if unit is not None and slot not in unit:
            self.book.emptied(slot, "pickup", found_empty=True)
            return _result("slot_empty", slot)
        out = self.transport.dispense(slot).result()
        if not out.ok:
            if out.error == "slot_empty":
                self.book.emptied(slot, "pickup", found_empty=True)
                return _result("slot_empty", slot)
            return self._fault(slot, ref, out)
        given = self.transport.present(take_s).result()
        if given.ok and given.data.get("taken"):
            if self.collected is not None:
                self.collected(ref, slot)  # first: the backend never hands it out again
            else:
                log.warning("not enrolled: the backend is not told pickup %s was collected", ref)
            self.book.collected(slot, ref)
            return _result("taken", slot)
        if given.ok and given.data.get("retained"):
            record = f"R{datetime.fromtimestamp(self.clock()):%Y%m%d%H%M%S}" + (
                f"-{secrets.token_hex(2).upper()}"
            )
            self.book.collected(slot, ref, retained=record)
            printed = self.retain_slip(record)
            log.warning("a document not taken was retained",
                        extra={"record": record, "slip": printed})  # fmt: skip
            self.alert("card_transport", "card_retained", f"pickup {ref}, record {record}")
            return {"result": {"status": "retained", "slot": slot, "retained_record": record}}
        # out of its slot but neither taken nor in the bin (a full bin, a jam at the
        # gate): not in the slot any more, a technician sees to it
        self.book.emptied(slot, "pickup")
        return self._fault(slot, ref, given)

    def _fault(self, slot: int, ref: str, done: Any) -> dict[str, Any]:
        code = done.code.value + (f"/{done.error}" if done.error else "")
        log.error("pickup %s from slot %d: the transport failed (%s)", ref, slot, code)
        self.alert("card_transport", "dispense_failed", f"slot {slot}: {code}")
        return _result("device_error", slot)


def _result(status: str, slot: int | None = None) -> dict[str, Any]:
    return {"result": {"status": status, "slot": slot}}
