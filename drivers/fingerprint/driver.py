"""The R30x fingerprint pad driver.

`capture` waits for a finger (GenImg until it is there), extracts the features
(Img2Tz) and uploads the template (UpChar). The module reports no quality number;
the driver's quality is 90 for a clean capture and a poor image is a user error
(the citizen presses again). Which finger, in which order, is the flow step's
policy, not the driver's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drivers.device import SerialDevice
from drivers.fingerprint import packets as pk
from drivers.model import (
    CitizenCanFix,
    DeviceError,
    DeviceState,
    DeviceTimeout,
    ProtocolError,
    Status,
)
from drivers.worker import CommandContext, CommandHandle

POLL_S = 0.1
GOOD_QUALITY = 90


class FingerProblem(CitizenCanFix):
    """A poor print, or no usable image: the citizen presses again."""


class ModuleFailure(DeviceError):
    """The module failed or refused us: a technician's (the default code and hint)."""


class R30xFingerprint(SerialDevice):
    """`fingerprint` driver. Config: `port`; options `baudrate` (57600), `password` (0)."""

    device_class = "fingerprint"
    carries_personal_data = True

    def __init__(
        self,
        port: str,
        name: str = "fingerprint",
        baudrate: int = 57600,
        on_event: Callable[[Any], None] | None = None,
        password: int = 0,
    ) -> None:
        super().__init__(port, name, baudrate, on_event)
        self.password = password
        self.status = Status(DeviceState.STARTING)

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", self._read_params, timeout_s)

    def capture(self, timeout_s: float = 20.0) -> CommandHandle:
        return self.worker.submit("capture", self._capture, timeout_s)

    def self_test(self, timeout_s: float = 2.0) -> CommandHandle:
        return self.query_status(timeout_s)

    # --- on the worker ------------------------------------------------------------

    def _open(self, ctx: CommandContext) -> dict[str, int]:
        code, _ = self._instruction(ctx, 0x13, self.password.to_bytes(4, "big"))
        if code != 0x00:
            self._set(Status(DeviceState.HARDWARE_ERROR))
            raise ModuleFailure("the module refused the password", "wrong_password")
        return self._read_params(ctx)

    def _read_params(self, ctx: CommandContext) -> dict[str, int]:
        code, data = self._instruction(ctx, 0x0F)
        if code != 0x00 or len(data) != 16:
            raise ModuleFailure("cannot read the module's parameters", "module_failed")
        self._set(Status(DeviceState.ONLINE, {"finger": "absent"}))
        return {
            "capacity": int.from_bytes(data[4:6], "big"),
            "security_level": int.from_bytes(data[6:8], "big"),
        }

    def _capture(self, ctx: CommandContext) -> dict[str, Any]:
        while True:
            code, _ = self._instruction(ctx, 0x01)
            if code == 0x00:
                break
            if code != 0x02:
                raise FingerProblem(f"image capture failed ({code:#04x})", "image_failed")
            time.sleep(min(POLL_S, max(0.0, ctx.remaining())))
            ctx.check()
        self._set(Status(DeviceState.ONLINE, {"finger": "present"}))
        code, _ = self._instruction(ctx, 0x02, b"\x01")
        if code in (0x06, 0x07):
            raise FingerProblem("the print is too poor: press again", "poor_image")
        if code != 0x00:
            raise FingerProblem(f"feature extraction failed ({code:#04x})", "image_failed")
        code, _ = self._instruction(ctx, 0x08, b"\x01")
        if code != 0x00:
            raise ModuleFailure("the template could not be uploaded", "upload_failed")
        template = bytearray()
        while True:
            received = self._read_packet(ctx)
            if received.pid not in (pk.DATA, pk.END):
                raise ProtocolError("expected template data", "bad_frame")
            template += received.payload
            if received.pid == pk.END:
                break
        return {"template": bytes(template), "quality": GOOD_QUALITY}

    def _instruction(
        self, ctx: CommandContext, code: int, params: bytes = b""
    ) -> tuple[int, bytes]:
        return self._guarded(ctx, lambda: self._exchange(ctx, code, params))

    def _exchange(self, ctx: CommandContext, code: int, params: bytes) -> tuple[int, bytes]:
        if not self.link.is_open:
            self.link.reconnect(ctx)
        # The module speaks only when asked, and an acknowledgement names no command: bytes
        # before the request are a late answer (to one cancelled while the module was
        # slow), which would be read as this one's and leave every answer one behind.
        self.link.drain_input()
        self.link.write(pk.packet(pk.COMMAND, bytes([code]) + params), ctx)
        ack = self._read_packet(ctx)
        if ack.pid != pk.ACK or not ack.payload:
            raise ProtocolError("expected an acknowledgement", "bad_frame")
        return ack.payload[0], ack.payload[1:]

    def _read_packet(self, ctx: CommandContext) -> pk.Packet:
        head, noise = b"", 0
        try:
            head = self.link.read(2, ctx)
            while head != pk.HEADER:  # line noise before the packet
                head, noise = head[1:] + self.link.read(1, ctx), noise + 1
            rest = self.link.read(7, ctx)
        except DeviceTimeout:
            if head or noise:  # it answered, but not with a packet: no timeout
                raise ProtocolError("the module answered with noise", "bad_frame") from None
            raise  # silence is a timeout, never a bad header
        size = int.from_bytes(rest[5:7], "big")
        if not 2 <= size <= 512:
            raise ProtocolError(f"impossible packet length {size}", "bad_frame")
        return pk.parse(head + rest + self.link.read(size, ctx))
