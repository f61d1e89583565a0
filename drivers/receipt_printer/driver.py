"""The ESC/POS receipt printer driver over a serial link.

Every command runs on the device's worker. Before a slip it asks the real-time
status; paper out or an open cover make the command fail at once as
`device_not_ready` (the citizen is told, the flow's printer is out of order). After
the slip it asks again: paper running out mid-job is a hardware error of the job,
reported with its own error code, never as success.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drivers.device import SerialDevice
from drivers.model import (
    Debouncer,
    DeviceError,
    DeviceState,
    DeviceTimeout,
    LinkLost,
    NotReady,
    Recovery,
    Status,
    StatusChanged,
)
from drivers.receipt_printer import escpos
from drivers.receipt_printer.raster import rasterise
from drivers.receipt_printer.slip import QrCode, Slip, Text
from drivers.worker import CommandContext, CommandHandle

STATUS_TIMEOUT_S = 1.0
DEBOUNCE_S = 0.3


class PrinterNotReady(NotReady):
    """Paper out or cover open before the job: inside the kiosk, so a technician's."""

    recovery = Recovery.OPERATOR


class JobFailed(DeviceError):
    """The slip did not come out whole (a technician's: DeviceError's default hint)."""


class EscPosPrinter(SerialDevice):
    """`receipt_printer` driver. Config: `port`; option `baudrate` (default 115200)."""

    device_class = "receipt_printer"
    carries_personal_data = True

    def __init__(
        self,
        port: str,
        name: str = "receipt_printer",
        baudrate: int = 115200,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(port, name, baudrate, on_event)
        # A paper sensor at the edge of a roll flickers between ok and low.
        self.debouncer = Debouncer(DEBOUNCE_S)

    # --- commands (return a handle; the completion is also sent as an event) --------

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = STATUS_TIMEOUT_S) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def print_slip(self, slip: Slip, timeout_s: float = 20.0) -> CommandHandle:
        return self.worker.submit("print", lambda ctx: self._print(slip, ctx), timeout_s)

    def self_test(self, timeout_s: float = 20.0) -> CommandHandle:
        """A technician's test: a short slip that shows the fonts, a QR code and the cut."""
        slip = Slip(
            elements=[
                Text(text="自检 SELF-TEST", size=2, align="center"),
                Text(text="中文 English 0123456789"),
                QrCode(data="SELF-TEST"),
            ]
        )
        return self.print_slip(slip, timeout_s)

    # --- on the worker ------------------------------------------------------------

    def _open(self, ctx: CommandContext) -> dict[str, str]:
        self.link.reconnect(ctx)
        return self._status(ctx)

    def _status(self, ctx: CommandContext) -> dict[str, str]:
        try:
            try:
                answers = self._ask_status(ctx)
            except LinkLost:  # unplugged: wait for it to come back, within this command
                self.link.reconnect(ctx)
                answers = self._ask_status(ctx)
        except DeviceTimeout:
            self.link.drain_input()
            self._set(Status(DeviceState.OFFLINE, {"paper": "unknown"}))
            raise
        except LinkLost:
            self._set(Status(DeviceState.NO_DEVICE, {"paper": "unknown"}))
            raise
        media = escpos.decode_status(*answers)
        ready = media["online"] == "yes" and media["paper"] != "out" and media["cover"] == "closed"
        if media.get("error") == "yes":
            state = DeviceState.HARDWARE_ERROR
        else:
            state = DeviceState.ONLINE if ready else DeviceState.USER_ERROR
        self._set(Status(state, media))
        return media

    def _ask_status(self, ctx: CommandContext) -> list[int]:
        if not self.link.is_open:
            self.link.reconnect(ctx)
        answers = []
        for n in (1, 2, 4):
            # A status byte carries no sign of the request it answers: a late one (to a
            # status cancelled or timed out while the printer was slow) would be read as
            # this request's, and every answer after it shifted by one, an open cover
            # read as closed. So whatever came before the request is forgotten.
            self.link.drain_input()
            self.link.write(escpos.status_request(n), ctx)
            answers.append(self.link.read(1, ctx)[0])
        return answers

    def _print(self, slip: Slip, ctx: CommandContext) -> dict[str, str]:
        media = self._status(ctx)
        if media["paper"] == "out":
            raise PrinterNotReady("the printer is out of paper", "paper_out")
        if media["cover"] == "open":
            raise PrinterNotReady("the printer's cover is open", "cover_open")
        if media.get("error") == "yes":
            raise JobFailed("the printer reports an error", "printer_error")
        self.link.write(escpos.encode_slip(slip, rasterise), ctx)
        after = self._status(ctx)
        if after["paper"] == "out":
            raise JobFailed("paper ran out while printing", "paper_out")
        if after["cover"] == "open":
            raise JobFailed("the cover was opened while printing", "cover_open")
        if after.get("error") == "yes":
            raise JobFailed("the printer failed during the job", "printer_error")
        return after

    def _set(self, status: Status) -> None:
        settled = self.debouncer.feed(status)
        if settled is not None and settled != self.status:
            before, self.status = self.status, settled
            self.on_event(StatusChanged(self.name, before, settled))
