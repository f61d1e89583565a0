"""What every serial device driver shares: its link, its worker, its status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drivers.model import (
    DeviceState,
    DeviceSwapped,
    DeviceTimeout,
    LinkLost,
    Status,
    StatusChanged,
)
from drivers.transport import SerialLink
from drivers.worker import CommandContext, DeviceWorker

T = TypeVar("T")


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

    def _guarded(
        self, ctx: CommandContext, exchange: Callable[[], T], unknown: dict[str, str] | None = None
    ) -> T:
        """One request and its answer: reopened once if the link went away (the device
        was unplugged and is back); a timeout or a lost link also sets the status,
        with `unknown` as the media nobody can vouch for now."""
        try:
            try:
                return exchange()
            except LinkLost:
                self.link.reconnect(ctx)
                return exchange()
        except DeviceTimeout:
            self.link.drain_input()  # a late answer must not be taken for the next one
            self._set(Status(DeviceState.OFFLINE, dict(unknown or {})))
            raise
        except LinkLost:
            self._set(Status(DeviceState.NO_DEVICE, dict(unknown or {})))
            raise

    def _set(self, status: Status) -> None:
        if status != self.status:
            before, self.status = self.status, status
            self.on_event(StatusChanged(self.name, before, status))

    def _swapped(self, before: str, after: str) -> None:
        self.on_event(DeviceSwapped(self.name, before, after))
