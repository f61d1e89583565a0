"""Services for a terminal with simulated devices and no backend (`make run`,
screenshots, UI tests): every step a service performs answers after a short while
with a plausible result for one synthetic citizen. Nothing here is a real person.

The real step services (drivers, payment, backend) replace this one by one as the
device and sync issues land; the shell takes either, through `reply()`.
"""

from __future__ import annotations

from typing import Any

from flows.events import Perform
from kiosk.steps.backend import PROOF_OPERATIONS

DELAY_S = {"backend": 1.5, "pay": 4.0, "print": 3.0, "write_chip": 3.0}
DEFAULT_DELAY_S = 2.5

SAMPLES: dict[str, dict[str, Any]] = {
    "read_id_card": {
        "name": "测试样例",
        "sex": "女",
        "nation": "汉",
        "birth_date": "19800101",
        "address": "某省某市某区示例路1号",
        "id_number": "11010519800101002X",
        "valid_from": "20160101",
        "valid_until": "20360101",
        "photo_ref": "demo-photo",
    },
    "read_document_chip": {
        "kind": "hk_macau_permit",
        "holder_name": "测试样例",
        "document_number": "C01234567",
        "valid_until": "20300101",
        "endorsements": [],
    },
    "scan_code": {"kind": "photo_receipt", "text": "DEV-TERMINAL-0000001-X"},
    "scan_document": {
        "document_ref": "demo-scan",
        "pages": 1,
        "width_mm": 210.0,
        "height_mm": 297.0,
        "resolution": 200,
    },
    "sign": {
        "signature_ref": "demo-signature",
        "strokes": 4,
        "duration_ms": 2900,
        "width": 600,
        "height": 200,
    },
    "capture_photo": {"photo_ref": "demo-photo", "receipt_number": "DEV-TERMINAL-0000001-X"},
    "capture_fingerprints": {
        "templates": [{"finger": "right_thumb", "template": "t1", "quality": 90}]
    },
    "pay": {"payment_ref": "DEMO-PAY-1", "state": "paid", "amount_fen": 0},
    "backend": {"status": "eligible", "data": {"allowed": ["G", "L", "T"]}},
    "print": {"job_ref": "DEMO-JOB-1", "state": "printed"},
    "write_chip": {"written": True, "verified": True},
    "take_back": {"removed": True},
    "dispense_document": {"status": "taken", "slot": 1},
    "verify_proof": {
        "status": "valid",
        "document": "criminal_record",
        "holder_name": "测***",
        "use": "就业",
        "issued": "2026-01-01",
        "expires": "2026-04-01",
        "serial": "DEMO-0000001",
        "verification_code": "DEMO2345",
    },
}
# the backend's word differs by operation: a proof query answers "issued"
BACKEND_STATUS = dict.fromkeys(PROOF_OPERATIONS, "issued") | {"pickup_lookup": "ready"}
# 自助取证 on `make run`: the sample card's finished ID card, as the reference backend
# and the simulated registry know it (backend/registry.py PICKUPS), waits in a slot
DEMO_PICKUP = "QJ-7K2M9X"


def load_demo_pickup(transport: Any, book: Any) -> int:
    """The demo's pickup into the simulated card transport's storage (`transport`: its
    simulator) and the slot book (kiosk/slots.py), as staff would load it from the
    desk: the slot the book already names (a restart), else the first free one. The
    slot it is in."""
    slot = book.slot_of(DEMO_PICKUP)
    if slot is None:
        free = [i for i, held in enumerate(transport.profile.slots, 1) if not held]
        slot = free[0] if free else 1
        book.loaded(slot, DEMO_PICKUP, "demo")
    transport.profile.slots[slot - 1] = f"DOC-{DEMO_PICKUP}"
    return slot


class DemoServices:
    def __init__(self, speed: float = 1.0, failing: dict[str, str] | None = None) -> None:
        self.speed = speed  # tests run the same services faster
        # step type -> the completion code it fails with (a printer out of paper...)
        self.failing = failing or {}

    takes_cards = True  # the pay screen offers a bank card; the demo pays either way

    def use_card(self) -> None:
        """The citizen chose the bank card: the demo's answer is the same."""

    def reply(self, perform: Perform) -> tuple[float, dict[str, Any]]:
        """(seconds until the answer, the result's fields) for a step to perform;
        a failing step type answers `{"fail": code}`."""
        if perform.step_type in self.failing:
            delay = DELAY_S.get(perform.step_type, DEFAULT_DELAY_S) / self.speed
            return delay, {"fail": self.failing[perform.step_type]}
        sample = dict(SAMPLES.get(perform.step_type, {}))
        if perform.step_type == "backend":
            operation = str(perform.params.get("operation", ""))
            sample["status"] = BACKEND_STATUS.get(operation, "eligible")
        if perform.step_type == "pay":
            sample["amount_fen"] = int(perform.inputs.get("amount_fen", 0) or 0)
        return DELAY_S.get(perform.step_type, DEFAULT_DELAY_S) / self.speed, sample
