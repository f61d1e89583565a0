"""Serial links (pyserial): reads with deadlines, frame traces, reconnect with backoff.

A port is named by a stable path (`/dev/serial/by-id/...` on a terminal, a
simulator's symlink in tests) so a device that is unplugged and comes back is
found again, and its identity (where the path points, and the USB serial number
when there is one) shows whether it is the same device.
"""

from __future__ import annotations

import logging
import os
import termios
import time
from collections.abc import Callable

import serial
from serial.tools import list_ports

from drivers.model import LinkLost
from drivers.worker import CommandContext

BACKOFF_S = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)


class SerialLink:
    def __init__(
        self,
        port: str,
        name: str,
        baudrate: int = 115200,
        on_swap: Callable[[str, str], None] | None = None,
        personal: bool = False,
    ) -> None:
        self.port = port
        # Frames of a device that carries personal data (ID card text, codes,
        # templates) are traced under a field the log redactor withholds.
        self.trace_field = "personal_frame" if personal else "frame"
        self.baudrate = baudrate
        self.frames = logging.getLogger(f"kiosk.sensitive.frames.{name}")
        self._serial: serial.Serial | None = None
        self.identity: str | None = None  # where the stable path points now
        self.usb_identity: str | None = None  # vid:pid:serial, when the port is USB
        self.on_swap = on_swap
        # how often the port was opened: a driver asks a reopened port who it is
        self.opened = 0

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def open(self) -> None:
        try:
            self._serial = serial.Serial(
                self.port, self.baudrate, timeout=0.05, write_timeout=1.0, exclusive=True
            )
        except (serial.SerialException, OSError) as exc:
            self._serial = None
            raise LinkLost(f"cannot open {self.port}: {exc}", "no_device") from None
        self.identity = os.path.realpath(self.port)
        usb = usb_identity(self.identity)
        if self.usb_identity and usb and usb != self.usb_identity and self.on_swap:
            self.on_swap(self.usb_identity, usb)
        self.usb_identity = usb or self.usb_identity
        self.opened += 1

    def close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except (serial.SerialException, OSError):
                pass
        self._serial = None

    def reconnect(self, context: CommandContext) -> None:
        """Reopen the port, backing off, until it answers or the command's time is up."""
        self.close()
        for delay in (*BACKOFF_S, *([BACKOFF_S[-1]] * 100)):
            try:
                self.open()
                return
            except LinkLost:
                if context.remaining() <= delay:
                    raise
                time.sleep(delay)
                context.check()

    def write(self, data: bytes, context: CommandContext) -> None:
        link = self._link()
        context.check()
        self.frames.debug("tx", extra={self.trace_field: data.hex(" ")})
        try:
            link.write(data)
            link.flush()
        except (serial.SerialException, OSError) as exc:
            self.close()
            raise LinkLost(f"{self.port}: write failed: {exc}") from None

    def read(self, size: int, context: CommandContext) -> bytes:
        """Exactly `size` bytes, or DeviceTimeout at the deadline (never a bad frame)."""
        link = self._link()
        data = b""
        while len(data) < size:
            context.check()
            try:
                link.timeout = max(0.001, min(0.05, context.remaining()))
                chunk = link.read(size - len(data))
            except (serial.SerialException, OSError) as exc:
                self.close()
                raise LinkLost(f"{self.port}: read failed: {exc}") from None
            data += chunk
        self.frames.debug("rx", extra={self.trace_field: data.hex(" ")})
        return data

    def drain_input(self) -> None:
        """Forget stale bytes (a late answer to a command that timed out)."""
        if self._serial is not None:
            try:
                self._serial.reset_input_buffer()
            except (serial.SerialException, OSError, termios.error) as exc:
                self.close()
                raise LinkLost(f"{self.port}: {exc}") from None

    def _link(self) -> serial.Serial:
        if self._serial is None:
            raise LinkLost(f"{self.port} is not open", "no_device")
        return self._serial


def usb_identity(device: str) -> str | None:
    """`vid:pid:serial` of a USB serial port, or None (a pty, a built-in UART)."""
    for port in list_ports.comports():
        if os.path.realpath(port.device) == device and port.serial_number:
            return f"{port.vid:04x}:{port.pid:04x}:{port.serial_number}"
    return None
