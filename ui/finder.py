"""The service finder on the screen (您要办什么？): a few large everyday choices and a
search field, the matching services as large tiles (kiosk/finder.py searches).

What QML reads: `choices` (the everyday buttons), `query` and `results` (each tile as
the home screen's: id, title, available, why not). What it calls: `search(text)` at
each keystroke (letters being composed included: pinyin and initials are searched
before a character is chosen), `choose(id)` for an everyday button, `clear()`. The
shell opens and closes the finder and starts the service a tile names; what was typed
is dropped when the finder closes, and never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.finder import EVERYDAY, ServiceIndex
from ui.qml_values import QVARIANT_LIST


class ServiceFinder(QObject):
    changed = Signal()

    def __init__(self, index: ServiceIndex, tiles: Callable[[], list[dict[str, Any]]]) -> None:
        super().__init__()
        self.index = index
        self.tiles = tiles  # the home screen's tiles: each service available or not, why
        self._query = ""
        self._chosen = ""  # the everyday button whose services are listed
        self._found: list[str] = []

    @Property(QVARIANT_LIST, constant=True)
    def choices(self) -> list[dict[str, str]]:
        """The everyday buttons that lead somewhere on this terminal."""
        return [{"id": c.id, "text": c.text} for c in EVERYDAY if self.index.search(c.query)]

    @Property(str, notify=changed)
    def query(self) -> str:
        return self._query

    @Property(str, notify=changed)
    def chosen(self) -> str:
        """The message id of the everyday button whose services are listed ("": none)."""
        return next((c.text for c in EVERYDAY if c.id == self._chosen), "")

    @Property(bool, notify=changed)
    def searching(self) -> bool:
        """Something was typed or chosen: the results stand where the choices stood."""
        return bool(self._query.strip() or self._chosen)

    @Property(QVARIANT_LIST, notify=changed)
    def results(self) -> list[dict[str, Any]]:
        by_id = {tile["id"]: tile for tile in self.tiles()}
        return [by_id[flow] for flow in self._found if flow in by_id]

    @Slot(str)
    def search(self, text: str) -> None:
        self._query, self._chosen = text, ""
        self._found = self.index.search(text)
        self.changed.emit()

    @Slot(str)
    def choose(self, choice_id: str) -> None:
        choice = next((c for c in EVERYDAY if c.id == choice_id), None)
        if choice is None:
            return
        self._query, self._chosen = "", choice.id
        self._found = self.index.search(choice.query)
        self.changed.emit()

    @Slot()
    def clear(self) -> None:
        """Back to the everyday buttons; nothing typed is kept."""
        self._query, self._chosen, self._found = "", "", []
        self.changed.emit()
