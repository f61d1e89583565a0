"""The steps the devices serve, on the real drivers: reading the ID card, scanning a
code, capturing fingerprints, the citizen taking the card back. A step type without
a device service here is served by another part of the chain (kiosk/steps/chain.py),
or by the shell's demo services.

Qt-free and engine-free: `start(step_type, params, inputs, finish)` runs the
driver's command and calls `finish` with `{"result": {...}}` or `{"fail": code,
"recovery": hint}`, on the driver's thread; the shell carries that to its own.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

log = logging.getLogger("kiosk.devices")

Finish = Callable[[dict[str, Any]], None]
REMOVAL_POLL_S = 0.3
RETAIN_AFTER_S = 30.0  # a take_back step on the transport without `retain_after`

# Which fingers, in which order: the police order, each hand's thumb first, then the
# index and middle fingers when a thumb cannot be read (scarred, worn).
POLICE_ORDER = (
    ("right_thumb", "right_index", "right_middle"),
    ("left_thumb", "left_index", "left_middle"),
)

IDENTITY_FIELDS = (
    "name", "sex", "nation", "birth_date", "address",
    "id_number", "valid_from", "valid_until",
)  # fmt: skip


class DeviceServices:
    def __init__(
        self,
        drivers: dict[str, Any],
        fallback: Any,
        step_timeout_s: float = 60.0,
        citizen: Callable[[str, dict[str, Any]], None] | None = None,
    ):
        self.drivers = drivers
        self.fallback = fallback
        self.step_timeout_s = step_timeout_s
        # on simulated devices, someone must put the card down: see kiosk/simulated.py
        self.citizen = citizen or (lambda step_type, params: None)
        self.photos: dict[str, bytes] = {}  # card photos of the session, by ref; wiped
        self.templates: dict[str, bytes] = {}  # fingerprint templates, likewise
        # what the screen shows while a device step goes on (which finger, which try)
        self.progress: Callable[[dict[str, Any]], None] = lambda news: None
        # the retain rule on a card transport (set by the composition root): the slip
        # that tells the citizen how to reclaim a captured card (True: printed), and
        # the alert a technician gets (a device_event: device, status, detail)
        self.retain_slip: Callable[[str], bool] = lambda record: False
        self.alert: Callable[[str, str, str], None] = lambda device, status, detail: None
        self.clock: Callable[[], float] = time.time
        self.retain_after_s = RETAIN_AFTER_S  # when the step gives no `retain_after`

    def serves(self, step_type: str) -> bool:
        device = {
            "read_id_card": "id_card",
            "scan_code": "scanner",
            "take_back": "id_card",  # a document leaves the smartcard reader instead
            "capture_fingerprints": "fingerprint",
        }
        if step_type == "take_back" and "card_transport" in self.drivers:
            return True
        return device.get(step_type) in self.drivers

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        """Run the step on its device; the returned function cancels it."""
        self.citizen(step_type, params)
        if step_type == "read_id_card":
            handle = self.drivers["id_card"].read_card(self.step_timeout_s)
            when_done(handle, lambda done: finish(self._identity(done)))
        elif step_type == "scan_code":
            handle = self.drivers["scanner"].read_code(self.step_timeout_s)
            when_done(handle, lambda done: finish(_scanned(done, params)))
        elif step_type == "take_back":
            if params.get("what") == "document" and "card_transport" in self.drivers:
                return self._give_back(params, finish)
            return self._wait_for_removal(str(params.get("what")), finish)
        elif step_type == "capture_fingerprints":
            return self._fingerprints(int(params.get("captures", 3)), finish)
        else:
            raise ValueError(f"no device service for {step_type}")
        return handle.cancel

    def _identity(self, done: Any) -> dict[str, Any]:
        if not done.ok:
            return failure(done)
        record = {k: done.data.get(k, "") for k in IDENTITY_FIELDS}
        ref = f"card-photo-{len(self.photos) + 1}"
        photo = done.data.get("photo")
        if isinstance(photo, bytes):
            self.photos[ref] = photo
        return {"result": {**record, "photo_ref": ref}}

    def _wait_for_removal(self, what: str, finish: Finish) -> Callable[[], None]:
        """Done when the reader no longer sees the card (the ID card, or the document
        in the chip reader); the step's own timeout (the engine's) decides what
        happens to a card left behind."""
        stop = threading.Event()
        reader = self.drivers["smartcard" if what == "document" else "id_card"]

        def watch() -> None:
            while not stop.is_set():
                done = reader.query_status().result()
                if not done.ok:
                    finish(failure(done))
                    return
                if reader.status.media.get("card") != "present":
                    finish({"result": {"removed": True}})
                    return
                stop.wait(REMOVAL_POLL_S)

        threading.Thread(target=watch, daemon=True).start()
        return stop.set

    def _give_back(self, params: dict[str, Any], finish: Finish) -> Callable[[], None]:
        """The retain rule on the card transport: the card to the gate; not taken
        within `retain_after`, captured into the retain bin, the retain slip printed
        (how to reclaim it) and the step's result says `retained` with the record's
        number (the journal keeps that number, nothing of the card). A full bin leaves
        the card at the gate: the technician is alerted and the result says so."""
        transport = self.drivers["card_transport"]
        take_s = float(params.get("retain_after") or self.retain_after_s)
        handle = transport.present(take_s)

        def done(completion: Any) -> None:
            if completion.ok and completion.data.get("taken"):
                finish({"result": {"removed": True}})
            elif completion.ok and completion.data.get("retained"):
                record = f"R{datetime.fromtimestamp(self.clock()):%Y%m%d%H%M%S}" + (
                    f"-{secrets.token_hex(2).upper()}"
                )
                printed = self.retain_slip(record)
                log.warning("a card not taken was retained", extra={"record": record,
                            "slip": printed})  # fmt: skip
                self.alert("card_transport", "card_retained", f"record {record}")
                finish({"result": {"removed": False, "retained": True,
                                   "retained_record": record}})  # fmt: skip
            elif completion.error == "bin_full":
                log.error("the retain bin is full: a card not taken is left at the gate")
                self.alert("card_transport", "bin_full", "a card not taken is at the gate")
                finish({"result": {"removed": False, "left_at_gate": True}})
            else:
                finish(failure(completion))

        when_done(handle, done)
        return handle.cancel

    def _fingerprints(self, tries: int, finish: Finish) -> Callable[[], None]:
        """One finger of each hand, in the police order; a poor print is pressed again
        (up to `tries` times) before the next finger of that hand is asked for. Each
        move is told to `progress` for the screen (which finger, which try, quality)."""
        stop = threading.Event()
        pad = self.drivers["fingerprint"]

        def capture_all() -> None:
            taken: list[dict[str, str | float]] = []
            for hand in POLICE_ORDER:
                finger = self._one_finger(pad, hand, tries, stop)
                if stop.is_set():
                    return
                if isinstance(finger, dict) and "fail" in finger:
                    finish(finger)
                    return
                taken.append(finger)
            finish({"result": {"templates": taken}})

        threading.Thread(target=capture_all, daemon=True).start()
        return stop.set

    def _one_finger(
        self, pad: Any, hand: tuple[str, ...], tries: int, stop: threading.Event
    ) -> dict[str, Any]:
        done = None
        for finger in hand:
            for attempt in range(1, tries + 1):
                if stop.is_set():
                    return {}
                self.progress({"finger": finger, "attempt": attempt, "of": tries})
                self.citizen("capture_fingerprints.finger", {"finger": finger})
                done = pad.capture(self.step_timeout_s).result()
                if done.ok:
                    quality = float(done.data.get("quality", 0))
                    self.progress(
                        {"finger": finger, "attempt": attempt, "of": tries, "quality": quality}
                    )
                    ref = f"template-{finger}"
                    self.templates[ref] = done.data["template"]
                    return {"finger": finger, "template": ref, "quality": quality}
                if done.code.value != "user_error":
                    return failure(done)  # the pad itself is out of order
        return failure(done) if done is not None else {"fail": "user_error"}

    def wipe(self) -> None:
        self.photos.clear()
        self.templates.clear()


def _scanned(done: Any, params: dict[str, Any]) -> dict[str, Any]:
    if not done.ok:
        return failure(done)
    accepted = params.get("accepted") or []
    if accepted and done.data["kind"] not in accepted:
        return {"fail": "invalid_data", "recovery": "user_action"}
    return {"result": {"kind": done.data["kind"], "text": done.data["text"]}}


def failure(done: Any) -> dict[str, Any]:
    recovery = done.recovery.value if done.recovery.value != "none" else "operator"
    return {"fail": done.code.value, "recovery": recovery}


def when_done(handle: Any, then: Callable[[Any], None]) -> None:
    """Wait for the completion on a thread of its own: the caller never waits."""
    threading.Thread(target=lambda: then(handle.result()), daemon=True).start()
