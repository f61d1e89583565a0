"""The serial code scanner driver: each code arrives as a line (CR or CRLF).

A line with bytes a scanner never sends (control characters, invalid UTF-8) is a
bad frame, refused; a code with no line end by the deadline is a timeout. Codes
are personal (a payment code is as good as money): they reach only the sensitive
frame trace, never the main log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drivers.device import SerialDevice
from drivers.model import DeviceState, LinkLost, ProtocolError, Status
from drivers.scanner.codes import kind_of
from drivers.worker import CommandContext, CommandHandle

MAX_LINE = 2048


class SerialScanner(SerialDevice):
    """`scanner` driver. Config: `port`; option `baudrate` (default 9600)."""

    device_class = "scanner"
    carries_personal_data = True

    def __init__(
        self,
        port: str,
        name: str = "scanner",
        baudrate: int = 9600,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(port, name, baudrate, on_event)
        self._pending = bytearray()  # bytes after a line end belong to the next code

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", self._open, timeout_s)

    def read_code(self, timeout_s: float = 30.0) -> CommandHandle:
        return self.worker.submit("read", self._read_code, timeout_s)

    def self_test(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.query_status(timeout_s)

    def _open(self, ctx: CommandContext) -> dict[str, str]:
        if not self.link.is_open:
            try:
                self.link.reconnect(ctx)
            except LinkLost:
                self._set(Status(DeviceState.NO_DEVICE))
                raise
        self._set(Status(DeviceState.ONLINE))
        return {"port": self.link.identity or ""}

    def _read_code(self, ctx: CommandContext) -> dict[str, str]:
        self._open(ctx)
        try:
            line = self._line(ctx)
        except LinkLost:
            self._set(Status(DeviceState.NO_DEVICE))
            self.link.reconnect(ctx)
            self._set(Status(DeviceState.ONLINE))
            line = self._line(ctx)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("the scanner sent bytes that are not text", "bad_frame") from None
        if not text or not text.isprintable():
            raise ProtocolError("the scanner sent a line with control characters", "bad_frame")
        return {"text": text, "kind": kind_of(text)}

    def _line(self, ctx: CommandContext) -> bytes:
        """The next non-empty line; CR, LF or CRLF ends it (a late LF is an empty line)."""
        while True:
            ends = [at for at in (self._pending.find(b"\r"), self._pending.find(b"\n")) if at >= 0]
            if ends:
                at = min(ends)
                line = bytes(self._pending[:at])
                del self._pending[: at + 1]
                if line:
                    return line
                continue
            if len(self._pending) > MAX_LINE:
                self._pending.clear()
                raise ProtocolError("a line longer than any code", "bad_frame")
            self._pending += self.link.read(1, ctx)
