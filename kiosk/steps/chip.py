"""The permit's chip on the smartcard driver: reading the holder and the endorsements,
writing the endorsement the citizen paid for (the card is given back by the
device services' take_back).

The access key is the document's MRZ (document number, birth date, expiry), read
from the card's back by the scanner's OCR mode in an earlier step (the step named by
`access_key_from`). It is kept for the session only, to write with, and wiped.

With `card_back: true` in the step and a card printer on the terminal, the endorsement is
then printed on the permit's rewritable back as well (kiosk/steps/card_back.py says why
there and not in a step of its own); the screen hears `{"card_back": "printing"}`.

The endorsement is sealed with the issuer key (drivers/smartcard/PERMIT.md); on a
terminal without one (none configured) the chip steps fail for a technician to see,
they are never faked. Writing is idempotent by the endorsement's serial, made once
per session: after a torn write the citizen puts the card back, the step is tried
again, and the card never holds the endorsement twice.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.steps.devices import Finish, failure, when_done

log = logging.getLogger("kiosk.chip")

REGIONS = {"hong_kong": "HK", "macau": "MO"}
KINDS = {"individual": "G", "group": "L", "family": "T"}
TRIPS = {"once": 1, "twice": 2, "multiple": 0}  # 0: as many as the validity allows
# one or two trips within three months; multiple trips within a year (services.md)
VALID_DAYS = {1: 90, 2: 90, 0: 365}
INSERT_POLL_S = 0.2


class ChipServices:
    def __init__(
        self,
        reader: Any,
        issuer_key: bytes | None,
        terminal: str,
        citizen: Callable[[str, dict[str, Any]], None] | None = None,
        clock: Callable[[], float] = time.time,
        step_timeout_s: float = 60.0,
        photos: dict[str, bytes] | None = None,
        transport: Any = None,
        card_back: Any = None,
    ) -> None:
        self.reader = reader
        # the card printer's part (kiosk/steps/card_back.py), when the terminal has one
        self.card_back = card_back
        # what the screen shows while the step goes on (the card back being printed)
        self.progress: Callable[[dict[str, Any]], None] = lambda news: None
        # a motorised card transport in front of the reader: it draws the card in and
        # moves it to the read/write position (the reader's field) before the read
        self.transport = transport
        self.issuer_key = issuer_key
        self.terminal = terminal
        self.citizen = citizen or (lambda step_type, params: None)
        self.clock = clock
        self.step_timeout_s = step_timeout_s
        self._key: tuple[str, str, str] | None = None  # the session's access key
        self._serial: str | None = None  # the session's endorsement, once made
        # the holder's face from the chip (DG2), for the face check; shared with the
        # other step services, wiped with the session
        self.photos: dict[str, bytes] = {} if photos is None else photos

    def serves(self, step_type: str) -> bool:
        return step_type in ("read_document_chip", "write_chip")

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        self.citizen(step_type, params)
        if self.issuer_key is None:
            log.error("no issuer key for the permit's chip on this terminal")
            return _refused(finish, "unsupported", "operator")
        if step_type == "read_document_chip":
            return self._read(params, inputs, finish)
        return self._write(params, inputs, finish)

    def wipe(self) -> None:
        self._key = None
        self._serial = None
        self.photos.clear()

    def _read(self, params: dict[str, Any], inputs: dict[str, Any], finish: Finish) -> Any:
        from drivers.smartcard.mrz import MrzError, parse

        scanned = inputs.get(str(params.get("access_key_from")))
        try:
            mrz = parse(str(scanned.get("text") if isinstance(scanned, dict) else ""))
        except MrzError:
            return _refused(finish, "invalid_data", "user_action")
        key = (mrz.document_number, mrz.birth_date, mrz.expiry_date)
        stop = threading.Event()
        waiting: list[Any] = []

        def read() -> None:
            if self.transport is not None:
                waiting.append(self.transport.accept_card(self.step_timeout_s))
                if stop.is_set():
                    waiting[0].cancel()
                accepted = waiting[0].result()
                if stop.is_set():
                    return
                if not accepted.ok:
                    finish(failure(accepted))
                    return
            # the citizen inserts the card now: wait for the reader to see it
            deadline = time.monotonic() + self.step_timeout_s
            while self.reader.status.media.get("card") != "present":
                if stop.wait(INSERT_POLL_S) or time.monotonic() > deadline:
                    return  # cancelled, or the engine's timeout speaks first
            completion = self.reader.read_permit(key, self.issuer_key).result()
            if stop.is_set():
                return
            if not completion.ok:
                finish(failure(completion))
                return
            self._key = key
            result = _document(completion.data["permit"], str(params["document"]))
            finish({"result": {**result, **self._face(key)}})

        def cancel() -> None:
            stop.set()
            for handle in list(waiting):
                handle.cancel()

        threading.Thread(target=read, daemon=True, name="permit-read").start()
        return cancel

    def _face(self, key: tuple[str, str, str]) -> dict[str, str]:
        """The holder's face from the chip's ICAO application (DG2, JPEG or JPEG 2000),
        kept for the face check; a chip without one gives no photo_ref, and the face
        check then sends the citizen to the counter."""
        done = self.reader.read_document(*key).result()
        face = done.data["document"].face if done.ok else None
        if face is None:
            log.warning("the permit's chip gave no face (%s)",
                        done.code.value if not done.ok else "no DG2")  # fmt: skip
            return {}
        ref = f"chip-photo-{len(self.photos) + 1}"
        self.photos[ref] = face.data
        return {"photo_ref": ref}

    def _write(self, params: dict[str, Any], inputs: dict[str, Any], finish: Finish) -> Any:
        from drivers.smartcard.permit import Endorsement

        if self._key is None:  # the flow wrote before it read: a flow bug, not the citizen's
            return _refused(finish, "sequence_error", "operator")
        data = {field: inputs.get(ref) for field, ref in params.get("data", {}).items()}
        now = datetime.fromtimestamp(self.clock(), UTC)
        trips = TRIPS.get(str(data.get("trips")), 1)
        self._serial = self._serial or f"E{now:%Y%m%d}{secrets.token_hex(4).upper()}"
        endorsement = Endorsement(
            serial=self._serial,
            region=REGIONS.get(str(data.get("destination")), "HK"),
            kind=KINDS.get(str(data.get("kind")), "G"),
            trips=trips,
            valid_until=f"{now + timedelta(days=VALID_DAYS[trips]):%Y%m%d}",
            issued_at=f"{now:%Y%m%d%H%M}",
            terminal=self.terminal,
        )
        handle = self.reader.write_endorsement(self._key, self.issuer_key, endorsement)
        running, stop = [handle], threading.Event()
        card_back = self.card_back if params.get("card_back") else None

        def done(completion: Any) -> None:
            if not completion.ok:
                log.warning("endorsement not written: %s/%s", completion.code.value,
                            completion.error)  # fmt: skip
                finish(failure(completion))
                return
            written = endorsement in completion.data["permit"].endorsements
            result = {"written": written, "verified": written,
                      "valid_until": endorsement.valid_until}  # fmt: skip
            if card_back is None or not written:
                finish({"result": result})
                return
            if stop.is_set():
                return
            self.progress({"card_back": "printing"})
            printed = card_back.print_endorsement(endorsement, running)
            if stop.is_set():
                return
            if "fail" in printed:
                # the chip holds the endorsement, and the chip is what a border officer
                # reads: the citizen has what they paid for, so no refund; the flow sends
                # them to the counter to have the back printed (the printer's fault
                # reaches the technician through its status)
                log.warning("endorsement written, card back not printed: %s", printed["fail"])
                printed = {"card_back": "failed"}
            finish({"result": {**result, **printed}})

        def cancel() -> None:
            stop.set()
            for command in list(running):
                command.cancel()

        when_done(handle, done)
        return cancel


def _document(permit: Any, kind: str) -> dict[str, Any]:
    """The step's result: the holder and the endorsements the chip holds (genuine
    ones only; forged records are counted by the driver and left out)."""
    holder = permit.holder
    return {
        "kind": kind,
        "holder_name": holder.name,
        "document_number": holder.document_number,
        "valid_until": holder.expiry_date,
        "endorsements": [
            {
                "region": e.region,
                "kind": e.kind,
                "trips": str(e.trips),
                "valid_until": e.valid_until,
            }
            for e in permit.endorsements
        ],
    }


def _refused(finish: Finish, code: str, recovery: str) -> Callable[[], None]:
    """A step that cannot start still answers from a thread of its own, as every
    step service does (the shell never hears back inside its own call)."""
    threading.Thread(target=finish, args=({"fail": code, "recovery": recovery},),
                     daemon=True).start()  # fmt: skip
    return lambda: None
