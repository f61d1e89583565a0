"""View-model of the status window shown until the service screens land."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Property, QObject, QTimer, Signal

from kiosk.status import TerminalStatus
from kiosk.strings import Catalogue


class StatusViewModel(QObject):
    """Everything the QML shows, as text already translated (QML holds no strings)."""

    clockChanged = Signal()

    def __init__(self, status: TerminalStatus, strings: Catalogue) -> None:
        super().__init__()
        self._status = status
        self._strings = strings
        self._lang = status.language
        self._now = ""
        self.clock = QTimer(self)
        self.clock.timeout.connect(self._tick)
        self.clock.start(1000)
        self._tick()

    def _t(self, message_id: str, **params: object) -> str:
        return self._strings.text(message_id, self._lang, **params)

    def _tick(self) -> None:
        now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        if now != self._now:
            self._now = now
            self.clockChanged.emit()

    @Property(str, notify=clockChanged)
    def clockText(self) -> str:
        return self._now

    @Property(str, constant=True)
    def title(self) -> str:
        return self._t("status.title")

    @Property(str, constant=True)
    def notice(self) -> str:
        return self._t("status.notice")

    @Property(str, constant=True)
    def terminalLine(self) -> str:
        return self._t(
            "status.terminal", name=self._status.terminal_name, id=self._status.terminal_id
        )

    @Property(str, constant=True)
    def versionLine(self) -> str:
        return self._t("status.version", version=self._status.version)

    @Property(str, constant=True)
    def backendLine(self) -> str:
        if self._status.backend:
            return self._t("status.backend", url=self._status.backend)
        return self._t("status.backend_none")

    @Property(str, constant=True)
    def devicesTitle(self) -> str:
        return self._t("status.devices")

    @Property(list, constant=True)
    def deviceLines(self) -> list[str]:
        if not self._status.devices:
            return [self._t("status.no_devices")]
        return [
            self._t(
                "status.device_state",
                device=self._t(f"device.{line.name}"),
                state=self._t(f"status.state.{line.state}"),
            )
            if line.state is not None
            else self._t(
                "status.device_enabled" if line.enabled else "status.device_disabled",
                device=self._t(f"device.{line.name}"),
                driver=line.driver,
            )
            for line in self._status.devices
        ]
