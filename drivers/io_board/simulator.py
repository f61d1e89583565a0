"""A simulated Modbus RTU I/O board at the far end of a pty: discrete inputs, coils
and input registers, as a DIN-rail I/O module keeps them.

Its own codec (not the driver's): the CRC from a 256-entry table (the spec's way for
small processors), frames told apart by their function code's length. A frame for
another unit is ignored; unit 0 (broadcast) writes are done and not answered; a bad
CRC is dropped unanswered, as a real slave does. Functions: 01, 02, 04, 05, 15;
anything else is answered with exception 01, an address past the board's with 02.

Faults (drivers/faults.py), besides the wire's: `busy` (the next request is answered
with exception 06), `board_reset` (the board restarts on the next request: no
answer, silent for `boot_s`, then its outputs are off and its boot counter one more).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from drivers.config import FaultSpec
from drivers.faults import WIRE
from drivers.simulator import FaultPlan, PtySimulator


def _table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC_TABLE = _table()


def crc_bytes(data: bytes) -> bytes:
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ CRC_TABLE[(crc ^ byte) & 0xFF]
    return bytes([crc & 0xFF, crc >> 8])


def _bits_to_bytes(bits: list[bool]) -> bytes:
    out = bytearray((len(bits) + 7) // 8)
    for at, bit in enumerate(bits):
        out[at >> 3] |= int(bit) << (at & 7)
    return bytes(out)


@dataclass
class BoardProfile:
    unit: int = 1
    baudrate: int = 9600
    serial_number: int = 20250001
    firmware: int = 0x0102  # 1.2
    boot_s: float = 0.4  # how long a restart keeps it silent


class ModbusBoardSimulator(PtySimulator):
    """Base of the boards: `inputs`, `coils`, the identity registers, the faults."""

    profile: BoardProfile
    profile_class: type[BoardProfile] = BoardProfile
    input_count = 8
    coil_count = 8

    def __init__(
        self,
        profile: BoardProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        self.profile = profile or self.profile_class()
        super().__init__(faults, folder, pacing=pacing)
        self.inputs = [False] * self.input_count  # what the board reads on its terminals
        self.coils = [False] * self.coil_count
        self.boots = 1
        self.requests = 0  # frames for this board, answered or not
        self.writes: list[tuple[int, list[bool]]] = []  # coil writes: (first coil, bits)
        self._buffer = bytearray()
        self._booting_until = 0.0
        self._state = threading.RLock()

    def line_rate(self) -> int:
        return self.profile.baudrate

    def reset(self) -> None:
        """The board restarts (a power glitch, its watchdog): outputs off, a new boot."""
        with self._state:
            self.coils = [False] * self.coil_count
            self.boots += 1
            self._booting_until = time.monotonic() + self.profile.boot_s
            self.restarted()

    def restarted(self) -> None:
        """What else a restart forgets (a subclass's)."""

    def input_bits(self) -> list[bool]:
        """The inputs as the board reads them now (a subclass bends them)."""
        return list(self.inputs)

    # --- the wire -----------------------------------------------------------------------

    def handle(self, data: bytes) -> bytes:
        self._buffer += data
        while len(self._buffer) >= 8:
            size = 8
            if self._buffer[1] == 0x0F:
                size = 9 + self._buffer[6]  # unit fc start(2) count(2) n data(n) crc(2)
            if len(self._buffer) < size:
                return b""
            raw = bytes(self._buffer[:size])
            del self._buffer[:size]
            if crc_bytes(raw[:-2]) != raw[-2:]:
                self._buffer.clear()  # a slave waits for the line's silence, then listens anew
                continue
            if raw[0] not in (self.profile.unit, 0) or time.monotonic() < self._booting_until:
                continue
            self.requests += 1
            fault = self.faults.next()
            pdu = self._fault_or_execute(raw[1], raw[2:-2], fault)
            if pdu is None or raw[0] == 0:  # restarting, or a broadcast: no answer
                continue
            body = bytes([self.profile.unit]) + pdu
            self.send_bent(body + crc_bytes(body), fault if fault and fault.kind in WIRE else None)
        return b""

    def _fault_or_execute(
        self, function: int, data: bytes, fault: FaultSpec | None
    ) -> bytes | None:
        if fault is not None and fault.kind == "board_reset":
            self.reset()
            return None
        if fault is not None and fault.kind == "busy":
            return bytes([function | 0x80, 0x06])
        if fault is not None and fault.kind not in WIRE:
            self.device_fault(fault.kind)  # a subclass's own (a stuck input)
        with self._state:
            return self._execute(function, data)

    # --- the board ------------------------------------------------------------------------

    def _execute(self, function: int, data: bytes) -> bytes:
        start = int.from_bytes(data[0:2], "big")
        value = int.from_bytes(data[2:4], "big")
        if function in (0x01, 0x02):
            bits = self.coils if function == 0x01 else self.input_bits()
            if not 1 <= value <= 2000:
                return bytes([function | 0x80, 0x03])
            if start + value > len(bits):
                return bytes([function | 0x80, 0x02])
            packed = _bits_to_bytes(bits[start : start + value])
            return bytes([function, len(packed)]) + packed
        if function == 0x04:
            words = self._registers()
            if not 1 <= value <= 125:
                return bytes([function | 0x80, 0x03])
            if start + value > len(words):
                return bytes([function | 0x80, 0x02])
            payload = b"".join(w.to_bytes(2, "big") for w in words[start : start + value])
            return bytes([function, len(payload)]) + payload
        if function == 0x05:
            if value not in (0xFF00, 0x0000):
                return bytes([function | 0x80, 0x03])
            if start >= self.coil_count:
                return bytes([function | 0x80, 0x02])
            self._set_coils(start, [value == 0xFF00])
            return bytes([function]) + data[:4]
        if function == 0x0F:
            if not 1 <= value <= 1968 or data[4] != (value + 7) // 8:
                return bytes([function | 0x80, 0x03])
            if start + value > self.coil_count:
                return bytes([function | 0x80, 0x02])
            packed = data[5:]
            self._set_coils(start, [bool(packed[i >> 3] >> (i & 7) & 1) for i in range(value)])
            return bytes([function]) + data[:4]
        return bytes([function | 0x80, 0x01])

    def _set_coils(self, start: int, bits: list[bool]) -> None:
        self.coils[start : start + len(bits)] = bits
        self.writes.append((start, bits))
        self.coils_changed()

    def coils_changed(self) -> None:
        """The outputs moved (the lights board shows them)."""

    def _registers(self) -> list[int]:
        number = self.profile.serial_number
        return [number >> 16 & 0xFFFF, number & 0xFFFF, self.profile.firmware, self.boots & 0xFFFF]
