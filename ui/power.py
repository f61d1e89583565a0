"""The UPS followed by the touchscreen: a thread of its own asks the UPS's driver
(drivers/ups) for its status every few seconds; each answer is carried onto the Qt
main thread (a queued signal) and fed to the power policy (kiosk/power.py) there,
which pauses the home screen's services (the shell's `paused_by`), cancels the
session through the shell's Cancel and asks for the shutdown once it has ended. A
timer and the shell's screen changes go on asking the policy (`tick`), so the
shutdown follows the session's end at once."""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.power import PowerPolicy, PowerReading
from ui.shell import KioskShell

log = logging.getLogger("kiosk.ui.power")

POLL_S = 2.0  # how often the UPS is asked (upsd's own data are a second or two old)
TICK_MS = 1000


class PowerWatch(QObject):
    _answered = Signal(object)  # a PowerReading, from the watcher's thread

    def __init__(
        self, ups: Any, policy: PowerPolicy, shell: KioskShell, poll_s: float = POLL_S
    ) -> None:
        super().__init__()
        self.ups, self.policy, self.shell, self.poll_s = ups, policy, shell, poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="ups-watch")
        self._answered.connect(self._feed)  # emitted on the thread: queued to this one
        shell.paused_by = lambda: policy.unavailable
        shell.screenChanged.connect(self._tick)  # a session's end: the shutdown at once
        self._ticks = QTimer(self)
        self._ticks.timeout.connect(self._tick)
        self._answering: bool | None = None  # whether the UPS answered the last question

    def start(self) -> PowerWatch:
        self._ticks.start(TICK_MS)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._ticks.stop()
        if self._thread.is_alive():
            self._thread.join(timeout=self.poll_s + 5)

    # --- on the watcher's thread ---------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.is_set():
            done = self.ups.query_status().result()
            if done.ok:
                if self._answering is False:
                    log.info("the UPS answers again")
                self._answering = True
                self._answered.emit(PowerReading.of(done.data))
            elif self._answering is not False:  # told once; the policy keeps its state
                self._answering = False
                log.error("the UPS does not answer: %s/%s", done.code.value, done.error)
            self._stop.wait(self.poll_s)

    # --- on the Qt main thread -----------------------------------------------------------

    def _feed(self, reading: PowerReading) -> None:
        if self.shell.closed or self._stop.is_set():
            return
        paused = self.policy.paused
        self.policy.feed(reading)
        if self.policy.paused != paused and not self.shell.closed:
            self.shell.screenChanged.emit()  # the tiles say why, or are back

    def _tick(self) -> None:
        if not self.shell.closed and not self._stop.is_set():
            self.policy.tick()
