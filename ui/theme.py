"""The screens' sizes and colours, by mode: QML reads them from `kiosk.style`. The
elderly mode is bigger in every dimension; every text/background pair keeps at
least 4.5:1 (tested on the rendered scene)."""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal


class Theme(QObject):
    """Sizes and colours, by mode: the elderly mode is bigger in every dimension."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._elderly = False
        self._reach = False

    def set_reach(self, reach: bool) -> None:
        """The wheelchair layout: every action within the lower part of the screen
        (the screens read `reach`; no size changes with it)."""
        self._reach = reach
        self.changed.emit()

    @Property(bool, notify=changed)
    def reach(self) -> bool:
        return self._reach

    def set_elderly(self, elderly: bool) -> None:
        self._elderly = elderly
        self.changed.emit()

    def _pick(self, normal: int, elderly: int) -> int:
        return elderly if self._elderly else normal

    @Property(int, notify=changed)
    def text(self) -> int:  # main text, px at 1080 px wide
        return self._pick(30, 40)

    @Property(int, notify=changed)
    def title(self) -> int:
        return self._pick(48, 60)

    @Property(int, notify=changed)
    def small(self) -> int:  # the least any text may be
        return self._pick(28, 36)

    @Property(int, notify=changed)
    def target(self) -> int:  # the least any touch target may be
        return self._pick(88, 112)

    @Property(int, notify=changed)
    def gap(self) -> int:
        return self._pick(24, 32)

    # Colours: every text/background pair at least 4.5:1 (tested on the rendered scene)
    ink = Property(str, lambda self: "#16202B", constant=True)
    paper = Property(str, lambda self: "#F4F6F9", constant=True)
    brand = Property(str, lambda self: "#0B3D91", constant=True)
    onBrand = Property(str, lambda self: "#FFFFFF", constant=True)
    card = Property(str, lambda self: "#FFFFFF", constant=True)
    line = Property(str, lambda self: "#5A6B80", constant=True)
    alert = Property(str, lambda self: "#9A1B1B", constant=True)
    quiet = Property(str, lambda self: "#44505E", constant=True)
