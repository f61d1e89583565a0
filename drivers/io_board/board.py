"""A Modbus RTU I/O board behind a serial port: what the sensors and lights drivers share.

One request at a time on the device's worker, each with the command's deadline: a
silent board is a timeout, an answer that is not a frame of the protocol (noise, a
bad CRC, one cut short) a ProtocolError, a Modbus exception its own typed error.

Both boards keep the same input registers (the project's map, docs/devices.md):

    IR 0-1  serial number (32 bits, high word first)     IR 2  firmware (major, minor)
    IR 3    boot counter: one more at every power-up or watchdog reset

The serial number is the hot-plug identity (another board behind the same port is a
`DeviceSwapped`); a boot counter that moved means the board restarted and forgot
what it was told (its outputs are off again): `restarts` counts it and the subclass's
`_restarted` puts things right.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar

from drivers.device import SerialDevice
from drivers.io_board import modbus as mb
from drivers.model import DeviceSwapped, DeviceTimeout, ProtocolError
from drivers.worker import CommandContext

log = logging.getLogger("kiosk.drivers.io_board")

# RTU frames end in silence: once an answer has begun, the rest comes at line speed.
# A gap this long (past any USB-serial adapter's latency) means it was cut short.
FRAME_GAP_S = 0.1
IDENTITY_REGISTERS = 4
BOOTS_REGISTER = 3


class ModbusBoard(SerialDevice):
    """Base of the I/O board drivers. Config: `port`; options `baudrate` (9600), `unit` (1)."""

    # what nobody can vouch for while the board is silent
    unknown_media: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        port: str,
        name: str,
        baudrate: int = 9600,
        unit: int = 1,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        if not 1 <= unit <= 247:
            raise ValueError(f"Modbus unit {unit} is not 1..247")
        super().__init__(port, name, baudrate, on_event)
        self.unit = unit
        self.identity: str | None = None  # the board's serial number
        self.firmware = ""
        self.boots: int | None = None
        self.restarts = 0  # boot counter moves seen since the driver started
        self._identified = 0  # the link's opening the identity was read on

    # --- identity and restarts --------------------------------------------------------

    def _identify(self, ctx: CommandContext) -> None:
        self._identified = -1  # its own requests do not ask again
        words = self._read_registers(ctx, 0, IDENTITY_REGISTERS)
        self._identified = self.link.opened
        identity = f"{words[0] << 16 | words[1]:010d}"
        self.firmware = f"{words[2] >> 8}.{words[2] & 0xFF}"
        if self.identity is not None and identity != self.identity:
            self.on_event(DeviceSwapped(self.name, self.identity, identity))
            self.boots = None  # another board's counter: not a restart of this one
        self.identity = identity
        self._boots_are(ctx, words[BOOTS_REGISTER])

    def _check_boots(self, ctx: CommandContext) -> None:
        self._boots_are(ctx, self._read_registers(ctx, BOOTS_REGISTER, 1)[0])

    def _boots_are(self, ctx: CommandContext, boots: int) -> None:
        restarted = self.boots is not None and boots != self.boots
        self.boots = boots
        if restarted:
            self.restarts += 1
            log.warning("the %s board restarted (boot %d)", self.name, boots)
            self._restarted(ctx)

    def _restarted(self, ctx: CommandContext) -> None:
        """The board forgot what it was told: the subclass tells it again."""

    # --- requests -----------------------------------------------------------------------

    def _read_bits(self, ctx: CommandContext, function: int, start: int, count: int) -> list[bool]:
        data = self._request(ctx, mb.read_request(function, start, count), (count + 7) // 8)
        return mb.unpack_bits(data[1:], count)

    def _read_registers(self, ctx: CommandContext, start: int, count: int) -> list[int]:
        data = self._request(ctx, mb.read_request(mb.READ_INPUT_REGISTERS, start, count), 2 * count)
        return mb.registers(data[1:])

    def _write_coils(self, ctx: CommandContext, start: int, bits: list[bool]) -> None:
        request = mb.write_coils_request(start, bits)
        echo = self._request(ctx, request, None)
        if echo != request[1:5]:  # the first coil and the count, as asked
            raise ProtocolError(f"the board echoed {echo.hex()} to a write", "bad_answer")

    def _request(self, ctx: CommandContext, pdu: bytes, count: int | None) -> bytes:
        """One request and its answer's data (after the function code); `count`: the
        byte count a read's answer must give (None for a write)."""
        reply = self._guarded(ctx, lambda: self._exchange(ctx, pdu, count), self.unknown_media)
        if self._identified > 0 and self.link.opened != self._identified:
            self._identify(ctx)  # the link was reopened: is it the same board?
        return reply

    def _exchange(self, ctx: CommandContext, pdu: bytes, count: int | None) -> bytes:
        if not self.link.is_open:
            self.link.reconnect(ctx)
        # The board speaks only when asked, so bytes before the request are a late
        # answer (to one cancelled while the board was slow): read as this one's, the
        # same function's answer would pass, and every answer after it be one behind.
        self.link.drain_input()
        self.link.write(mb.frame(self.unit, pdu), ctx)
        head = self.link.read(2, ctx)  # silence: DeviceTimeout, never a bad frame
        function = pdu[0]
        if head[0] != self.unit or head[1] & 0x7F != function:
            self._noise(ctx)
        try:
            first = self.link.read(1, self._within_gap(ctx, 1))
            exception = bool(head[1] & mb.EXCEPTION)
            if not exception and count is not None and first[0] != count:
                self._noise(ctx)
            size = mb.reply_size(head[1], first[0]) - 1
            rest = self.link.read(size, self._within_gap(ctx, size))
        except DeviceTimeout:  # it answered, but not with a whole frame
            self.link.drain_input()
            raise ProtocolError("the board's answer stopped half-way", "bad_frame") from None
        raw = head + first + rest
        self._check_crc(raw)
        if exception:
            mb.raise_exception(function, raw[2])
        return raw[2:-2]

    def _within_gap(self, ctx: CommandContext, size: int) -> CommandContext:
        """The command's context, with a deadline for `size` more bytes of a frame begun."""
        wire_s = size * 10 / self.link.baudrate  # 8N1: ten bits a byte
        inner = CommandContext(min(ctx.deadline, time.monotonic() + FRAME_GAP_S + wire_s))
        inner.cancelled = ctx.cancelled
        return inner

    def _check_crc(self, raw: bytes) -> None:
        if mb.crc16(raw[:-2]) != raw[-2:]:
            raise ProtocolError("the board's answer has a bad CRC", "bad_checksum")

    def _noise(self, ctx: CommandContext) -> None:
        time.sleep(min(0.05, max(0.0, ctx.remaining())))  # let the rest of it come in
        self.link.drain_input()
        raise ProtocolError("the board answered with noise", "bad_frame")
