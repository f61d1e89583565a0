"""The storage slots' page of the technicians' desk (kiosk/slots.py does the work):
the slot map with what each slot holds, a slot chosen and a pickup reference typed
on the keypad, then Load (the document put in at the gate goes into the slot),
Empty to the gate, and Retain bin emptied. Only while the desk's PIN session is
open: every action names that session, and nothing runs without one.

The actions run on their own thread; their news comes back through `_news` onto
Qt's thread, as a message id (and its values) the page shows in the theme's alert
colour when it went wrong.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.maintenance import Door
from kiosk.slots import SlotOutcome, StorageDesk

QVARIANT_LIST: Any = "QVariantList"
QVARIANT_MAP: Any = "QVariantMap"


class SlotDesk(QObject):
    changed = Signal()
    _news = Signal(object)  # a SlotOutcome, from the action's thread

    def __init__(self, storage: StorageDesk, door: Door) -> None:
        super().__init__()
        self.storage, self.door = storage, door
        self._shown = False
        self._selected = 0
        self._outcome: SlotOutcome | None = None
        self._working = False
        self._news.connect(self._take_news)  # queued: run on Qt's thread

    # --- what QML reads -------------------------------------------------------------------

    @Property(bool, notify=changed)
    def shown(self) -> bool:
        return self._shown and self.door.session is not None

    @Property(QVARIANT_LIST, notify=changed)
    def slots(self) -> list[dict[str, Any]]:
        if self.door.session is None:
            return []
        return [
            {"number": v.number, "held": "unknown" if v.held is None else ("yes" if v.held else
             "no"), "ref": v.ref, "stale": v.stale}
            for v in self.storage.slot_map()
        ]  # fmt: skip

    @Property(int, notify=changed)
    def selected(self) -> int:
        return self._selected

    @Property(str, notify=changed)
    def binCount(self) -> str:
        return self.storage.bin_count()

    @Property(bool, notify=changed)
    def working(self) -> bool:
        return self._working

    @Property(str, notify=changed)
    def message(self) -> str:
        return self._outcome.message if self._outcome is not None else ""

    @Property(QVARIANT_MAP, notify=changed)
    def messageValues(self) -> dict[str, Any]:
        if self._outcome is None:
            return {}
        return {"slot": self._outcome.slot, **dict(self._outcome.values or {})}

    @Property(bool, notify=changed)
    def messageOk(self) -> bool:
        return self._outcome is not None and (self._outcome.ok or not self._outcome.done)

    # --- what QML does --------------------------------------------------------------------

    @Slot()
    def show(self) -> None:
        if self.door.session is not None:
            self._shown, self._outcome = True, None
            self.changed.emit()

    @Slot()
    def hide(self) -> None:
        if self._working:
            self.storage.cancel()
        self._shown, self._selected, self._outcome = False, 0, None
        self.changed.emit()

    @Slot(int)
    def select(self, number: int) -> None:
        self._selected, self._outcome = number, None
        self.changed.emit()

    @Slot(str)
    def load(self, ref: str) -> None:
        """The document staff put in at the gate, into the chosen slot, for `ref`."""
        who = self.door.session
        if who is None or self._working:
            return
        if self._selected < 1:
            self._say(SlotOutcome("desk.slots.choose"))
        else:
            self._start(self.storage.load(self._selected, ref.strip(), who, self._news.emit))

    @Slot()
    def empty(self) -> None:
        """The chosen slot's document to the gate, for staff to take."""
        who = self.door.session
        if who is None or self._working:
            return
        if self._selected < 1:
            self._say(SlotOutcome("desk.slots.choose"))
        else:
            self._start(self.storage.empty(self._selected, who, self._news.emit))

    @Slot()
    def binEmptied(self) -> None:
        who = self.door.session
        if who is not None and not self._working:
            self._start(self.storage.bin_emptied(who, self._news.emit))

    @Slot()
    def cancel(self) -> None:
        if self._working:
            self.storage.cancel()

    # --- on Qt's thread -------------------------------------------------------------------

    def _start(self, started: bool) -> None:
        if started:
            self._working = True
            self.changed.emit()

    def _say(self, outcome: SlotOutcome) -> None:
        self._outcome = outcome
        self.changed.emit()

    def _take_news(self, outcome: SlotOutcome) -> None:
        if outcome.done:
            self._working = False
        self._say(outcome)
