"""Every device class that has a simulator, run with our driver on it: what
`kiosk run --sim` (and `make run`) gives a machine without hardware."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from datetime import date, timedelta
from types import TracebackType
from typing import Any

from drivers.conformance.kit import load_object
from drivers.registry import DEVICE_CLASSES

log = logging.getLogger("kiosk.simulated")


class SimulatedDevices:
    def __init__(self) -> None:
        self.simulators: dict[str, Any] = {}
        self.drivers: dict[str, Any] = {}
        self.slot_book: Any = None  # the storage slots' book, once made (kiosk.app.slot_book)

    def start(self) -> dict[str, str]:
        """Start them; return each device's state after opening its driver."""
        states = {}
        for name, device in DEVICE_CLASSES.items():
            if device.simulator is None or device.default_driver is None:
                continue
            try:
                simulator = load_object(device.simulator)().start()
            except (OSError, RuntimeError) as exc:  # one missing simulator is no reason
                log.error("simulator did not start", extra={"device": name, "error": str(exc)})
                states[name] = "no_device"
                continue
            driver = load_object(device.default_driver)(port=simulator.address)
            self.simulators[name], self.drivers[name] = simulator, driver
            done = driver.open().result()
            states[name] = driver.status.device.value if done.ok else done.code.value
            log.info(
                "simulated device",
                extra={
                    "device": name,
                    "state": states[name],
                    "port": getattr(simulator, "pts", simulator.address),
                },
            )
        self._couple_transport()
        if "sensors" in self.simulators:  # whoever runs it is at the screen: no "still there?"
            self.simulators["sensors"].approach()
        return states

    def _couple_transport(self) -> None:
        """The transport's read/write position is the chip reader's field and the card
        printer's head: a card moved there is on the simulated PC/SC reader and under
        the rewrite head (the card itself, so its back keeps what was printed), and
        leaves both when it moves on."""
        transport = self.simulators.get("card_transport")
        reader, printer = self.simulators.get("smartcard"), self.simulators.get("card_printer")
        if transport is None or (reader is None and printer is None):
            return

        def moved(where: str) -> None:
            if where == "rw_position":
                if reader is not None:
                    reader.place_card()
                if printer is not None:
                    printer.place_card(transport.card or "card")
                return
            if reader is not None and reader.inserted.is_set():
                reader.remove_card()
            if printer is not None and printer.card is not None:
                printer.remove_card()

        transport.on_position = moved

    def stop(self) -> None:
        for driver in self.drivers.values():
            driver.close()
        for simulator in self.simulators.values():
            simulator.stop()
        self.drivers.clear()
        self.simulators.clear()

    def __enter__(self) -> SimulatedDevices:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def simulated_duty_room(terminal: str) -> tuple[Any, Any]:
    """`kiosk run --sim`: a duty room on loopback that answers 求助's video call (a
    second baresip, kiosk/intercom/duty_room.py), and the booth's `[help]` to call it
    with a test tone and a test picture (no microphone or camera needed)."""
    from kiosk.intercom import HelpSection
    from kiosk.intercom.duty_room import DutyRoom

    room = DutyRoom().start()
    booth = HelpSection(
        sip_uri=room.uri,
        sip_account=f"sip:{terminal}@127.0.0.1",
        sip_listen="127.0.0.1:0",
        media_address="127.0.0.1",
        audio_source="ausine,660",
        audio_player="aubridge,nil",
        video_source="fakevideo,nil",
        video_size="160x120",
        video_fps=5,
        connect_timeout_s=5,
        ring_timeout_s=20,
    )
    return room, booth


class SimulatedCitizen:
    """Does at the simulated devices what a citizen does at real ones, a moment after
    the screen asks: puts the ID card down, shows a code, blinks or turns the head
    for the face check, takes the card back, signs on the pad."""

    def __init__(self, simulators: dict[str, Any], delay_s: float = 1.5) -> None:
        self.simulators = simulators
        self.delay_s = delay_s
        # what the citizen holds up at a proof check: the code of a proof printed for
        # the card's holder earlier (kiosk.app sets it, `proof_paper`); none: no proof
        self.proof_paper: Callable[[], str] | None = None

    def __call__(self, step_type: str, params: dict[str, Any]) -> None:
        card, scanner = self.simulators.get("id_card"), self.simulators.get("scanner")
        permit = self.simulators.get("smartcard")
        transport = self.simulators.get("card_transport")
        pad = self.simulators.get("signature_pad")
        if step_type == "read_id_card" and card is not None:
            self._later(card.place_card)
        elif step_type == "read_document_chip" and transport is not None:
            self._later(lambda: transport.insert_card("permit"))  # into the motorised slot
        elif step_type == "read_document_chip" and permit is not None:
            self._later(permit.place_card)
        elif step_type == "take_back" and params.get("what") == "document":
            if transport is not None:  # takes it once the gate presents it (takes_card)
                transport.profile.take_after_s = self.delay_s
            elif permit is not None:
                self._later(permit.remove_card)
        elif step_type == "dispense_document" and transport is not None:
            transport.profile.take_after_s = self.delay_s  # takes the finished card at the gate
        elif step_type == "take_back" and card is not None:
            self._later(card.remove_card)
        elif step_type == "verify_face.challenge" and "camera" in self.simulators:
            camera = self.simulators["camera"]  # looks, then does what the screen asks
            self._later(lambda: camera.act(str(params["challenge"])))
        elif step_type == "capture_fingerprints.finger" and "fingerprint" in self.simulators:
            pad = self.simulators["fingerprint"]
            self._later(lambda: pad.put_finger(str(params["finger"])))
        elif step_type == "sign" and pad is not None:  # signs, then taps 确认 on the pad
            self._later(lambda: pad.sign("confirm"))
        elif step_type == "pay" and scanner is not None:
            self._later(lambda: scanner.present(SAMPLE_CODES["payment_code"]))
        elif step_type == "scan_code" and scanner is not None:
            kinds = params.get("accepted") or ["appointment"]
            code = SAMPLE_CODES.get(kinds[0], "APPT-0001")
            if kinds[0] == "mrz" and permit is not None:  # the permit's back, read by OCR
                code = permit.profile.mrz_text.replace("\n", "")
            if kinds[0] == "proof" and self.proof_paper is not None:
                code = self.proof_paper()
            self._later(lambda: scanner.present(code))

    def _later(self, action: Callable[[], None]) -> None:
        timer = threading.Timer(self.delay_s, action)
        timer.daemon = True
        timer.start()


# Codes a simulated citizen shows, one per kind the scanner tells apart (synthetic).
SAMPLE_CODES = {
    "payment_code": "134567890123456789",
    "photo_receipt": "DEV-TERMINAL-48219377-1029482-K",  # kiosk/photo/receipt.py
    "appointment": "APPT-2026-1123",
    "pickup_notice": "QJ-7K2M9X",  # the sample card's pickup (backend/registry.py PICKUPS)
}


PAPER_AGE_DAYS = 7  # printed a week before the check: well inside every kind's validity


def proof_paper(key: Any, holder: dict[str, str], pack: Any, today: date | None = None) -> str:
    """The code of a criminal-record proof printed for `holder` a week ago and signed
    by `key` (an IssuingKey: the embedded backend's issuer, or the simulated registry's
    when there is no backend): what the simulated citizen holds up at a proof check."""
    from kiosk.documents.proofs import ProofRequest, payload_of
    from wire.proof import encode

    issued = (today or date.today()) - timedelta(days=PAPER_AGE_DAYS)
    request = ProofRequest("criminal_record", f"SIM{secrets.token_hex(4).upper()}",
                           holder["name"], holder["sex"], holder["id_number"], "就业",
                           issued)  # fmt: skip
    return encode(payload_of(request, key, pack), key.private)
