"""The technicians' desk on the touchscreen: entered from the home screen by a
hidden gesture (hold the terminal's name for three seconds) and the PIN, never
during a citizen's session. Device status, media and self-tests, the recent log
(it is already masked), the configuration in effect, restart; the card transport's
storage slots (ui/slot_desk.py) on a page of their own.

Each device's row: its name and state and its media as lines (kiosk/device_media.py:
a message id and values each, rendered by QML). On entering and on Refresh every
driver is asked for its status on its own worker; the rows change as they answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from kiosk.frames import FrameGetter, FrameTap
from kiosk.maintenance import Door
from ui.camera import CameraImages
from ui.slot_desk import SlotDesk

QVARIANT_LIST: Any = "QVariantList"
LOG_LINES = 14
QUERY_POLL_MS = 100  # how often the desk looks whether the status queries answered
QUERY_WAIT_S = 15.0  # a driver that has not answered by then is shown as it was


class MaintenanceDesk(QObject):
    changed = Signal()

    def __init__(
        self,
        door: Door,
        *,
        devices: Callable[[], list[dict[str, Any]]] = list,
        query: Callable[[], list[Any]] = list,
        slots: SlotDesk | None = None,
        self_test: Callable[[str], str] = lambda name: "unsupported",
        log_file: Path | None = None,
        config_lines: Callable[[], list[str]] = list,
        restart: Callable[[], None] = lambda: None,
        camera: Callable[[], FrameGetter | None] = lambda: None,
    ) -> None:
        super().__init__()
        self.camera = camera
        self.images: CameraImages | None = None  # the screen's provider, set by the app
        self._tap: FrameTap | None = None
        self._frame = 0
        self._camera_timer = QTimer(self)
        self._camera_timer.setInterval(66)
        self._camera_timer.timeout.connect(self._next_frame)
        self.door = door
        self._devices, self._self_test = devices, self_test
        self.log_file = log_file
        self._config_lines, self._restart = config_lines, restart
        self._asking = False
        self._open = False
        self._message = ""
        self._results: dict[str, str] = {}
        # the status queries under way (command handles) and when they were asked
        self._query, self._waited = query, 0
        self._asked: list[Any] = []
        self._query_timer = QTimer(self)
        self._query_timer.setInterval(QUERY_POLL_MS)
        self._query_timer.timeout.connect(self._answers)
        self.slot_desk = slots
        if slots is not None:
            slots.changed.connect(self.changed)
        # the booth's door/tamper alarm (kiosk/booth.py), when there are sensors: the
        # app sets it; it answers `cleared` or why not
        self.clear_alarm: Callable[[], str] | None = None
        self._alarm = ""

    @Property(bool, notify=changed)
    def asking(self) -> bool:
        return self._asking

    @Property(bool, notify=changed)
    def open(self) -> bool:
        return self._open

    @Property(str, notify=changed)
    def message(self) -> str:
        return self._message

    @Property(QVARIANT_LIST, notify=changed)
    def devices(self) -> list[dict[str, Any]]:
        if not self._open:
            return []
        return [{**d, "result": self._results.get(d["name"], "")} for d in self._devices()]

    @Property(QObject, constant=True)
    def slots(self) -> QObject | None:
        """The storage slots' page, when the terminal has a card transport."""
        return self.slot_desk

    @Slot()
    def refresh(self) -> None:
        """Every driver asked for its status now (on its own worker, never here)."""
        if self._open:
            self._asked, self._waited = self._query(), 0
            self._query_timer.start()

    def _answers(self) -> None:
        self._waited += 1
        if all(h.finished() for h in self._asked) or self._waited * QUERY_POLL_MS > (
            QUERY_WAIT_S * 1000
        ):
            self._query_timer.stop()
            self._asked = []
        self.changed.emit()

    @Property(QVARIANT_LIST, notify=changed)
    def logLines(self) -> list[str]:
        if not self._open or self.log_file is None or not self.log_file.exists():
            return []
        lines = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()
        return [_short(line) for line in lines[-LOG_LINES:]]

    @Property(QVARIANT_LIST, notify=changed)
    def configLines(self) -> list[str]:
        return self._config_lines() if self._open else []

    @Property(int, notify=changed)
    def cameraFrame(self) -> int:
        """-1: the camera view is off; else the preview's frame number."""
        return self._frame if self._tap is not None else -1

    @Slot()
    def toggleCamera(self) -> None:
        """The camera's live picture on the desk (to aim it, to see a dirty lens)."""
        if self._tap is not None:
            self._stop_camera()
        elif self._open and self.images is not None:
            getter = self.camera()
            if getter is not None:
                self._tap = FrameTap(getter)
                self.images.tap = self._tap
                self._camera_timer.start()
        self.changed.emit()

    def _next_frame(self) -> None:
        self._frame += 1
        self.changed.emit()

    def _stop_camera(self) -> None:
        self._camera_timer.stop()
        if self._tap is not None:
            self._tap.stop()
            self._tap = None
        if self.images is not None:
            self.images.clear()

    @Slot()
    def ask(self) -> None:
        self._asking, self._message = True, ""
        self.changed.emit()

    @Slot(str)
    def enter(self, pin: str) -> None:
        verdict = self.door.try_pin(pin)
        if verdict == "open":
            self._asking, self._open, self._message = False, True, ""
            self.refresh()
        else:
            self._message = f"ui.maintenance.{verdict}"
        self.changed.emit()

    @Slot()
    def leave(self) -> None:
        if self.slot_desk is not None:
            self.slot_desk.hide()
        if self._open:
            self.door.leave()
        self._stop_camera()
        self._query_timer.stop()
        self._asking, self._open, self._message, self._results = False, False, "", {}
        self._alarm = ""
        self.changed.emit()

    @Slot(str)
    def selfTest(self, name: str) -> None:
        if self._open:
            self._results[name] = self._self_test(name)
            self.changed.emit()

    @Property(bool, notify=changed)
    def clearsAlarm(self) -> bool:
        return self._open and self.clear_alarm is not None

    @Property(str, notify=changed)
    def alarmVerdict(self) -> str:
        """What the last "clear the alarm" said (a message id), or ""."""
        return self._alarm

    @Slot()
    def clearAlarm(self) -> None:
        """The booth's door/tamper alarm cleared: services unlocked, if the cabinet is shut."""
        if self._open and self.clear_alarm is not None:
            self._alarm = f"ui.maintenance.alarm.{self.clear_alarm()}"
            self.changed.emit()

    @Slot()
    def restart(self) -> None:
        if self._open:
            self.leave()
            self._restart()


def _short(line: str) -> str:
    """A log record as one readable line: time, level, message, fields."""
    try:
        record = json.loads(line)
    except ValueError:
        return line[:160]
    fields = " ".join(
        f"{k}={v}" for k, v in record.items() if k not in ("ts", "level", "logger", "msg")
    )
    when, level = str(record.get("ts", ""))[11:19], str(record.get("level", ""))[:4]
    return f"{when} {level} {record.get('msg', '')} {fields}"[:160]
