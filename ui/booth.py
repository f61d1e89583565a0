"""The booth's sensors and guide lights on the touchscreen.

`BoothWatch`: a thread of its own waits on the sensors' driver (drivers/sensors:
`watch`, which answers when a debounced input changes); each answer is carried onto
the Qt main thread (a queued signal) and fed to the booth's policies there
(kiosk/booth.py): presence wakes and greets (the shell's `someoneApproached`) and a
citizen gone mid-session is warned at once (`citizenAway`); a door or tamper alarm
locks the home screen's services (the shell's `paused_by`, beside the UPS's), is
told to the backend and cancels the session through the shell's Cancel. `clear()`
is the maintenance desk's "clear the alarm".

`follow_steps`: the guide lights (kiosk/guide_lights.py) follow the step on screen.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.booth import BoothGuard, PresencePolicy, SensorReading
from kiosk.guide_lights import GuideLights
from ui.shell import KioskShell

log = logging.getLogger("kiosk.ui.booth")

WATCH_S = 30.0  # one watch: answered at the first change, or ended with none
RETRY_S = 2.0  # a silent board is asked again this often
TICK_MS = 1000  # the presence policy's clock: "gone for ten seconds"
KEEP_ALIVE_MS = 5000  # the lights board's status asked (its worker; the screen never waits)


class BoothWatch(QObject):
    _answered = Signal(object)  # a SensorReading, from the watcher's thread

    def __init__(
        self, sensors: Any, guard: BoothGuard, presence: PresencePolicy, shell: KioskShell
    ) -> None:
        super().__init__()
        self.sensors, self.guard, self.presence, self.shell = sensors, guard, presence, shell
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="sensors-watch")
        self._answered.connect(self._feed)  # emitted on the thread: queued to this one
        paused_before = shell.paused_by  # a power failure pauses them too (ui/power.py)
        shell.paused_by = lambda: guard.unavailable or paused_before()
        self._ticks = QTimer(self)
        self._ticks.timeout.connect(self._tick)
        self._answering: bool | None = None
        self._asking: Any = None  # the watch under way: cancelled at stop

    def start(self) -> BoothWatch:
        self._ticks.start(TICK_MS)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._ticks.stop()
        if self._asking is not None:
            self._asking.cancel()
        if self._thread.is_alive():
            self._thread.join(timeout=WATCH_S + 5)

    def clear(self) -> str:
        """The desk's clear: `cleared`, or why not (kiosk/booth.py)."""
        verdict = self.guard.clear()
        if verdict == "cleared" and not self.shell.closed:
            self.shell.screenChanged.emit()  # the tiles are back
        return verdict

    # --- on the watcher's thread ---------------------------------------------------------

    def _watch(self) -> None:
        ask = self.sensors.query_status
        while not self._stop.is_set():
            self._asking = ask()
            done = self._asking.result()
            ask = lambda: self.sensors.watch(WATCH_S)  # noqa: E731 -- after the first look
            if self._stop.is_set():
                return
            if done.ok:
                if self._answering is False:
                    log.info("the sensors answer again")
                self._answering = True
                self._answered.emit(SensorReading.of(done.data))
            elif done.error == "no_change":
                continue
            else:
                if self._answering is not False:  # told once; the policies keep their state
                    self._answering = False
                    log.error("the sensors do not answer: %s/%s", done.code.value, done.error)
                self._stop.wait(RETRY_S)

    # --- on the Qt main thread -----------------------------------------------------------

    def _feed(self, reading: SensorReading) -> None:
        if self.shell.closed or self._stop.is_set():
            return
        locked = self.guard.locked
        self.guard.feed(reading)
        self.presence.feed(reading)
        if self.guard.locked != locked and not self.shell.closed:
            self.shell.screenChanged.emit()  # the banner and the tiles say why

    def _tick(self) -> None:
        if not self.shell.closed and not self._stop.is_set():
            self.presence.tick()


def follow_steps(shell: KioskShell, guide: GuideLights) -> None:
    """The step on screen's slot blinks; between sessions, all off. Every few seconds
    the board is asked how it stands (a board that restarted, or missed a write, is
    written again by the driver: drivers/lights)."""
    keep_alive = QTimer(shell)
    keep_alive.timeout.connect(lambda: None if shell.closed else guide.lights.query_status())
    keep_alive.start(KEEP_ALIVE_MS)

    def follow() -> None:
        engine, show = shell.driver.engine, shell.driver.show
        if shell.closed or engine is None or show is None or show.step_id not in engine.flow.steps:
            guide.follow("", [])
            return
        step = engine.flow.step(show.step_id)
        devices = engine.flow.kind(show.step_id).devices(step.params()) + step.devices
        guide.follow(step.type, devices)

    shell.screenChanged.connect(follow)
