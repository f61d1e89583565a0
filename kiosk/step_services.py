"""The steps the devices serve, on the real drivers: reading the ID card, scanning a
code, the citizen taking the card back. A step type without a device service here
falls back to the demo services (payment, the backend, printing, the chip: their
wiring comes with the payment and sync work).

Qt-free and engine-free: `start(step_type, params, inputs, finish)` runs the
driver's command and calls `finish` with `{"result": {...}}` or `{"fail": code,
"recovery": hint}`, on the driver's thread; the shell carries that to its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Finish = Callable[[dict[str, Any]], None]
REMOVAL_POLL_S = 0.3

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

    def serves(self, step_type: str) -> bool:
        device = {"read_id_card": "id_card", "scan_code": "scanner", "take_back": "id_card"}
        return device.get(step_type) in self.drivers

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        """Run the step on its device; the returned function cancels it."""
        self.citizen(step_type, params)
        if step_type == "read_id_card":
            handle = self.drivers["id_card"].read_card(self.step_timeout_s)
            _when_done(handle, lambda done: finish(self._identity(done)))
        elif step_type == "scan_code":
            handle = self.drivers["scanner"].read_code(self.step_timeout_s)
            _when_done(handle, lambda done: finish(_scanned(done, params)))
        elif step_type == "take_back":
            return self._wait_for_removal(finish)
        else:
            raise ValueError(f"no device service for {step_type}")
        return handle.cancel

    def _identity(self, done: Any) -> dict[str, Any]:
        if not done.ok:
            return _failure(done)
        record = {k: done.data.get(k, "") for k in IDENTITY_FIELDS}
        ref = f"card-photo-{len(self.photos) + 1}"
        photo = done.data.get("photo")
        if isinstance(photo, bytes):
            self.photos[ref] = photo
        return {"result": {**record, "photo_ref": ref}}

    def _wait_for_removal(self, finish: Finish) -> Callable[[], None]:
        """Done when the reader no longer sees the card; the step's own timeout (the
        engine's) decides what happens to a card left behind."""
        stop = threading.Event()
        reader = self.drivers["id_card"]

        def watch() -> None:
            while not stop.is_set():
                done = reader.query_status().result()
                if not done.ok:
                    finish(_failure(done))
                    return
                if reader.status.media.get("card") != "present":
                    finish({"result": {"removed": True}})
                    return
                stop.wait(REMOVAL_POLL_S)

        threading.Thread(target=watch, daemon=True).start()
        return stop.set

    def wipe(self) -> None:
        self.photos.clear()


def _scanned(done: Any, params: dict[str, Any]) -> dict[str, Any]:
    if not done.ok:
        return _failure(done)
    accepted = params.get("accepted") or []
    if accepted and done.data["kind"] not in accepted:
        return {"fail": "invalid_data", "recovery": "user_action"}
    return {"result": {"kind": done.data["kind"], "text": done.data["text"]}}


def _failure(done: Any) -> dict[str, Any]:
    recovery = done.recovery.value if done.recovery.value != "none" else "operator"
    return {"fail": done.code.value, "recovery": recovery}


def _when_done(handle: Any, then: Callable[[Any], None]) -> None:
    """Wait for the completion on a thread of its own: the caller never waits."""
    threading.Thread(target=lambda: then(handle.result()), daemon=True).start()
