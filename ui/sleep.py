"""The screen's sleep at night: within the city pack's night hours (`[screen] sleep`),
the home screen, untouched for `sleep_after_s` with no session, goes black (Kiosk.qml's
cover: nothing readable, nothing said) and the backlight goes down.

A touch on the cover wakes it (and presses nothing beneath), as does `wake()` (a
presence sensor) or the end of the night hours. The shell says when the screen may
sleep (`may_sleep`: the idle time counts from when it first may) and when someone
was there (`activity`: a touch); the pack is read again now and then, so a pack
pulled from the backend in the evening counts that night.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk.backlight import Backlight
from kiosk.citypack import ScreenRules

log = logging.getLogger("kiosk.ui.sleep")

# How often the clock is looked at: the sleep comes at most this late after the idle
# time, and the morning's wake at most this late after the night hours end.
LOOK_MS = 15_000
# The pack is read again this often (a pulled pack is read from the database, and a
# bad one is logged at each read: not every 15 s all night).
RULES_S = 600


class ScreenSleep(QObject):
    changed = Signal()

    def __init__(
        self,
        rules: Callable[[], ScreenRules] = ScreenRules,  # the default: never sleeps
        *,
        backlight: Backlight | None = None,
        wall: Callable[[], datetime] = datetime.now,  # the local time: the night hours
        clock: Callable[[], float] = time.monotonic,  # the idle time
    ) -> None:
        super().__init__()
        self.rules = rules
        self.backlight = backlight
        self.wall = wall
        self.clock = clock
        self.may_sleep: Callable[[], bool] = lambda: False  # the shell's say
        self._asleep = False
        self._since = clock()  # the last sign of someone
        self._rules: ScreenRules | None = None
        self._read_at = 0.0
        self._look = QTimer(self)
        self._look.timeout.connect(self.look)
        self._look.start(LOOK_MS)

    @Property(bool, notify=changed)
    def asleep(self) -> bool:
        return self._asleep

    @Slot()
    def activity(self) -> None:
        """Someone is there (a touch): the idle time starts again."""
        self._since = self.clock()

    @Slot()
    def wake(self) -> None:
        """A touch on the black screen, or someone approaching (a presence sensor)."""
        self.activity()
        if self._asleep:
            self._asleep = False
            if self.backlight is not None:
                self.backlight.restore()
            log.info("the screen wakes")
            self.changed.emit()

    def look(self) -> None:
        """Sleep, wake or stay: the night hours, the idle time, the shell's say."""
        if self._rules is None or self.clock() - self._read_at >= RULES_S:
            self._rules, self._read_at = self.rules(), self.clock()
        rules = self._rules
        night = rules.night()
        at_night = night is not None and night.contains(self.wall().time())
        if self._asleep:
            if not at_night:  # morning: lit before the day's first citizen comes
                self.wake()
            return
        if not self.may_sleep():  # a session, help, the desk: idle from when they end
            self.activity()
        elif at_night and self.clock() - self._since >= rules.sleep_after_s:
            self._asleep = True
            log.info("the screen sleeps (night hours %s)", rules.sleep)
            self.changed.emit()  # black first: the backlight is a bonus where it works
            if self.backlight is not None:
                self.backlight.dim()
