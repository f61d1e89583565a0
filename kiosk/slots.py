"""The card transport's storage module, as staff use it from the maintenance desk:
a finished document loaded into a numbered slot for the citizen to pick up, a slot
emptied back to the gate, and the retain bin's count put back to zero once a
technician has taken the retained cards out.

`SlotBook` is what the terminal knows of each slot beyond the unit's own 0/1 map:
the pickup reference the document belongs to (as the backend gave it: a pickup
code, never a name or an ID number), when and in which desk session it was loaded.
It is kept in the terminal's database (a note beside the outbox), and each change
goes to the backend as a `device_event` of the card transport written in the same
transaction, so the console knows what each slot holds. Each change is on the audit
log too (`kiosk.audit`: the slot, the reference, the desk session; never the PIN).

`StorageDesk` runs the staff's actions on the transport's driver, on a thread of
their own (the screen never waits), and says how each ended as a `SlotOutcome`
(a message id for the desk). Qt-free.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from drivers.model import Code
from kiosk.device_media import occupied_slots
from kiosk.privacy import Redactor

audit = logging.getLogger("kiosk.audit")
log = logging.getLogger("kiosk.slots")

DEVICE = "card_transport"
SLOTS_NOTE = "storage_slots"  # {slot: {"ref", "at", "by"}}
BIN_NOTE = "retain_bin_emptied"  # {"at", "by", "count", "unit"}
INSERT_S = 60.0  # how long the desk waits for staff to put the document in
# A pickup reference as the backend gives it; 15+ digits or a mobile number would be
# personal data to the log's redaction (and masked there), so it is not a reference.
REFERENCE = re.compile(r"^[0-9A-Za-z-]{4,14}$")


class Notes(Protocol):
    """Where the book is kept: the outbox's notes (offline_cache/outbox.py)."""

    def notes(self) -> dict[str, str]: ...
    def note(self, name: str, value: str) -> None: ...


# device, status word, detail, notes to write in the event's own transaction
# (kiosk/sync/link.py Link.device_event)
Report = Callable[[str, str, str, dict[str, str]], None]


def valid_reference(ref: str) -> bool:
    return bool(REFERENCE.match(ref)) and Redactor().text(ref) == ref


@dataclass(frozen=True)
class SlotRecord:
    ref: str
    at: str  # UTC, ISO 8601
    by: str  # the desk session


class SlotBook:
    """What each slot holds, as staff loaded it. `notes`: the terminal's database
    (None: kept in memory only, said in the log); `report`: the backend link's
    device_event (None: the terminal is not enrolled, nobody to tell)."""

    def __init__(
        self,
        notes: Notes | None,
        report: Report | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.report, self.clock = notes, report, clock
        self._lock = threading.Lock()
        self._memory: dict[str, str] = {}
        if notes is None:
            log.error("no database for the storage slots: what each holds is kept until a restart")

    def held(self) -> dict[int, SlotRecord]:
        found = {}
        for slot, entry in self._read(SLOTS_NOTE).items():
            try:
                found[int(slot)] = SlotRecord(str(entry["ref"]), str(entry["at"]),
                                              str(entry["by"]))  # fmt: skip
            except (ValueError, TypeError, KeyError):
                log.error("storage slot %r: a record that is not one, left out", slot[:8])
        return found

    def loaded(self, slot: int, ref: str, who: str) -> None:
        record = SlotRecord(ref, self._now(), who)
        with self._lock:
            held = self._read(SLOTS_NOTE)
            held[str(slot)] = record.__dict__
            self._write("slot_loaded", f"slot {slot} loaded: {ref} (desk {who})",
                        {SLOTS_NOTE: json.dumps(held, sort_keys=True)})  # fmt: skip
        audit.warning("storage slot loaded", extra={"slot": slot, "reference": ref,
                                                    "desk_session": who})  # fmt: skip

    def emptied(self, slot: int, who: str, found_empty: bool = False) -> None:
        """Slot `slot` holds nothing now: emptied to the gate by staff, or found empty
        by the unit (`found_empty`: what the book said is no longer so)."""
        with self._lock:
            held = self._read(SLOTS_NOTE)
            ref = held.pop(str(slot), {}).get("ref", "")
            status, what = ("slot_found_empty", "found empty") if found_empty else (
                "slot_emptied", "emptied to the gate")  # fmt: skip
            if found_empty and not ref:
                return  # the book already said so
            self._write(status, f"slot {slot} {what}: {ref or '-'} (desk {who})",
                        {SLOTS_NOTE: json.dumps(held, sort_keys=True)})  # fmt: skip
        audit.warning(f"storage slot {what}", extra={"slot": slot, "reference": ref,
                                                     "desk_session": who})  # fmt: skip

    def slot_of(self, ref: str) -> int | None:
        """The slot that holds the document of pickup reference `ref`, by the book."""
        return next((slot for slot, record in sorted(self.held().items()) if record.ref == ref),
                    None)  # fmt: skip

    def collected(self, slot: int, ref: str, retained: str | None = None) -> None:
        """Slot `slot`'s document left it for its citizen (自助取证): taken at the gate,
        or not taken and captured into the retain bin (`retained`: the retain record).
        The slot's record goes, with its device_event, in one transaction."""
        with self._lock:
            held = self._read(SLOTS_NOTE)
            if held.get(str(slot), {}).get("ref") == ref:
                held.pop(str(slot))
            status, what = ("slot_retained", f"retained ({retained})") if retained else (
                "slot_collected", "collected")  # fmt: skip
            self._write(status, f"slot {slot} {what}: {ref}",
                        {SLOTS_NOTE: json.dumps(held, sort_keys=True)})  # fmt: skip
        audit.warning(f"storage slot {status[5:]}", extra={"slot": slot, "reference": ref})

    def bin_emptied(self, count: int | None, who: str, by_unit: bool) -> None:
        """The retained cards taken out: `count` as the unit counted them; `by_unit`:
        the unit's count was put back to zero (else only this record says so)."""
        entry = {"at": self._now(), "by": who, "count": count, "unit": by_unit}
        with self._lock:
            counted = "?" if count is None else count
            self._write("bin_emptied", f"retain bin emptied: {counted} cards counted (desk {who})",
                        {BIN_NOTE: json.dumps(entry, sort_keys=True)})  # fmt: skip
        audit.warning("retain bin emptied", extra={"count": count, "count_reset": by_unit,
                                                   "desk_session": who})  # fmt: skip

    def _now(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="seconds")

    def _read(self, name: str) -> dict[str, Any]:
        text = self.store.notes().get(name) if self.store is not None else self._memory.get(name)
        try:
            found = json.loads(text or "{}")
        except ValueError:
            log.error("the %s note is not JSON: started afresh", name)
            return {}
        return found if isinstance(found, dict) else {}

    def _write(self, status: str, detail: str, notes: dict[str, str]) -> None:
        """The book and its device_event in one transaction (the link's), or the book
        alone when there is no backend to tell (or the event could not be queued: the
        document is in the slot all the same, so the book must say so)."""
        if self.store is None:
            self._memory.update(notes)
            return
        if self.report is not None:
            try:
                self.report(DEVICE, status, detail, notes)
                return
            except Exception:  # the database refused: the book at least
                log.exception("the storage slot's event could not be queued (%s)", detail)
        else:
            log.warning("not enrolled: the backend is not told (%s)", detail)
        for name, value in notes.items():
            self.store.note(name, value)


@dataclass(frozen=True)
class SlotOutcome:
    """How a staff action ended (or how far it is): a message id for the desk."""

    message: str
    slot: int = 0
    values: Mapping[str, Any] | None = None
    done: bool = True  # False: news on the way (put the document in now)
    ok: bool = False


@dataclass(frozen=True)
class SlotView:
    number: int
    held: bool | None  # the unit's word; None: not known (the unit did not answer)
    ref: str  # what the book says it holds
    stale: bool  # the book names a document the unit says is not there


class StorageDesk:
    """Staff actions on the transport's storage module. One at a time; each runs on a
    thread of its own and ends with `done(SlotOutcome)` (on that thread)."""

    def __init__(self, transport: Any, book: SlotBook, insert_s: float = INSERT_S) -> None:
        self.transport, self.book, self.insert_s = transport, book, insert_s
        self._busy = threading.Lock()
        self._handle: Any = None
        self._stop = threading.Event()

    # --- what the desk shows -----------------------------------------------------------

    def slot_map(self) -> list[SlotView]:
        media = dict(self.transport.status.media)
        unit = occupied_slots(str(media.get("slots", "")))
        held = self.book.held()
        count = len(str(media.get("slots", ""))) if unit is not None else max(held, default=0)
        views = []
        for number in range(1, count + 1):
            there = None if unit is None else number in unit
            ref = held[number].ref if number in held else ""
            views.append(SlotView(number, there, ref, bool(ref) and there is False))
        return views

    def bin_count(self) -> str:
        return str(self.transport.status.media.get("bin_count", "unknown"))

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    # --- the actions ---------------------------------------------------------------------

    def load(self, slot: int, ref: str, who: str, done: Callable[[SlotOutcome], None]) -> bool:
        """Staff put a finished document in at the gate; it goes into slot `slot`."""
        if not valid_reference(ref):
            done(SlotOutcome("desk.slots.bad_reference", slot))
            return False
        return self._run(lambda: self._load(slot, ref, who, done), done, slot)

    def empty(self, slot: int, who: str, done: Callable[[SlotOutcome], None]) -> bool:
        """Slot `slot`'s document to the gate, for staff to take (not a pickup)."""
        return self._run(lambda: self._empty(slot, who), done, slot)

    def bin_emptied(self, who: str, done: Callable[[SlotOutcome], None]) -> bool:
        """A technician took the retained cards out: the unit's count back to zero
        where it has the command (`empty_bin`), and the record either way."""
        return self._run(lambda: self._bin_emptied(who), done, 0)

    def cancel(self) -> None:
        self._stop.set()
        handle = self._handle
        if handle is not None:
            handle.cancel()

    # --- on the action's thread ----------------------------------------------------------

    def _run(self, action: Callable[[], SlotOutcome], done: Callable[[SlotOutcome], None],
             slot: int) -> bool:  # fmt: skip
        if not self._busy.acquire(blocking=False):
            done(SlotOutcome("desk.slots.busy", slot))
            return False
        self._stop.clear()

        def run() -> None:
            try:
                outcome = action()
            except Exception:  # never a desk stuck busy: said, logged, freed
                log.exception("a storage slot action failed")
                outcome = SlotOutcome("desk.slots.failed", slot, {"code": "driver_bug"})
            finally:
                self._handle = None
                self._busy.release()
            done(outcome)

        threading.Thread(target=run, daemon=True, name="storage-slots").start()
        return True

    def _wait(self, handle: Any) -> Any:
        self._handle = handle
        if self._stop.is_set():
            handle.cancel()
        return handle.result()

    def _load(
        self, slot: int, ref: str, who: str, news: Callable[[SlotOutcome], None]
    ) -> SlotOutcome:
        status = self._wait(self.transport.query_status())
        if not status.ok:
            return _failed(slot, status)
        if slot not in range(1, len(str(status.data.get("slots", ""))) + 1):
            return SlotOutcome("desk.slots.no_such_slot", slot)
        if slot in (occupied_slots(str(status.data["slots"])) or []):
            return SlotOutcome("desk.slots.occupied", slot)  # before a card goes in
        if status.data.get("card") in ("inside", "rw_position"):  # not the staff's: out first
            self._wait(self.transport.eject())
            return SlotOutcome("desk.slots.card_inside", slot)
        news(SlotOutcome("desk.slots.insert", slot, done=False))
        came = self._wait(self.transport.wait_for_card(self.insert_s))
        if came.code is Code.CANCELED or self._stop.is_set():
            if came.ok:
                self._wait(self.transport.eject())
            return SlotOutcome("desk.slots.canceled", slot)
        if came.code is Code.TIMEOUT:
            return SlotOutcome("desk.slots.no_card", slot)
        if not came.ok:
            return _failed(slot, came)
        stored = self._wait(self.transport.load(slot))
        if stored.ok:
            self.book.loaded(slot, ref, who)
            return SlotOutcome("desk.slots.loaded", slot, {"ref": ref}, ok=True)
        self._wait(self.transport.eject())  # the document back to staff
        if stored.error == "slot_occupied":
            return SlotOutcome("desk.slots.occupied", slot)
        return _failed(slot, stored)

    def _empty(self, slot: int, who: str) -> SlotOutcome:
        out = self._wait(self.transport.dispense(slot))
        if out.ok:
            self.book.emptied(slot, who)
            return SlotOutcome("desk.slots.emptied", slot, ok=True)
        if out.error == "slot_empty":
            self.book.emptied(slot, who, found_empty=True)
            return SlotOutcome("desk.slots.empty", slot)
        if out.error == "sequence_error":  # a card in the transport: to the gate first
            self._wait(self.transport.eject())
            return SlotOutcome("desk.slots.card_inside", slot)
        if out.error == "bad_parameter":
            return SlotOutcome("desk.slots.no_such_slot", slot)
        return _failed(slot, out)

    def _bin_emptied(self, who: str) -> SlotOutcome:
        status = self._wait(self.transport.query_status())
        counted = str(status.data.get("bin_count", "")) if status.ok else ""
        count = int(counted) if counted.isdigit() else None
        if not hasattr(self.transport, "empty_bin"):  # a unit without the command
            self.book.bin_emptied(count, who, by_unit=False)
            return SlotOutcome("desk.slots.bin_noted", values={"count": _shown(count)}, ok=True)
        reset = self._wait(self.transport.empty_bin())
        if not reset.ok:
            return _failed(0, reset)
        self.book.bin_emptied(count, who, by_unit=True)
        return SlotOutcome("desk.slots.bin_emptied", values={"count": _shown(count)}, ok=True)


def _failed(slot: int, completion: Any) -> SlotOutcome:
    code = completion.code.value + (f"/{completion.error}" if completion.error else "")
    return SlotOutcome("desk.slots.failed", slot, {"code": code})


def _shown(count: int | None) -> str:
    return "?" if count is None else str(count)
