"""What every serial device driver shares: its link, its worker, its status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drivers.model import DeviceState, DeviceSwapped, Status, StatusChanged
from drivers.transport import SerialLink
from drivers.worker import DeviceWorker


class SerialDevice:
    """Base of the serial drivers: one link, one worker thread, status events."""

    device_class = "device"
    carries_personal_data = False  # its frames hold names, ID numbers, codes, templates

    def __init__(
        self, port: str, name: str, baudrate: int, on_event: Callable[[Any], None] | None = None
    ) -> None:
        self.name = name
        self.on_event = on_event or (lambda event: None)
        self.link = SerialLink(
            port, name, baudrate, on_swap=self._swapped, personal=self.carries_personal_data
        )
        self.worker = DeviceWorker(name, self.on_event)
        self.status = Status(DeviceState.STARTING)

    def close(self) -> None:
        self.worker.stop()
        self.link.close()

    def _set(self, status: Status) -> None:
        if status != self.status:
            before, self.status = self.status, status
            self.on_event(StatusChanged(self.name, before, status))

    def _swapped(self, before: str, after: str) -> None:
        self.on_event(DeviceSwapped(self.name, before, after))
