"""The driver's side of the pad's wire protocol (the simulator has its own code).

The protocol is Wacom's ISDV4 ("TabletPC") serial protocol, as the Linux kernel's
driver reads it (drivers/input/touchscreen/wacom_w8001.c: `parse_pen_data`,
`w8001_setup`, `w8001_interrupt`) and as linuxwacom's xf86-input-wacom documents it
(src/isdv4.h: `isdv4ParseQuery`, `isdv4ParseCoordinateData`; its tool
isdv4-serial-debugger, which the tests run against our simulator). 8N1 at 38400
(older sensors 19200).

Host to pad, one ASCII byte each: '0' stop sampling, '1' start sampling, '*' query
the pen's capabilities, '%' query touch (a pen-only pad answers with no touch).

Pad to host: a byte with bit 7 set begins a packet; every other byte of it has bit
7 clear. That sync bit is all the integrity there is: ISDV4 has no checksum.

    query reply, 11 bytes (bit 6 set: a control packet):
      0   1 1 data_id(0)
      1   x_max  bits 15..9          2   x_max bits 8..2
      3   y_max  bits 15..9          4   y_max bits 8..2
      5   pressure_max bits 6..0
      6   0 | x_max bits 1..0 (6..5) | y_max bits 1..0 (4..3) | pressure_max bits 9..7 (2..0)
      7   tilt max   8   tilt max    9   version bits 13..7   10   version bits 6..0
    pen report, 9 bytes (bit 6 clear; bit 4 clear, else it is a touch packet):
      0   1 0 proximity 0 0 eraser side tip
      1-6 x, y and pressure, laid out as in the query reply
      7   tilt x     8   tilt y

A pen report carries no time: as the kernel does, the host stamps each report when
it arrives. ISDV4 has no pad buttons either; a signature pad shows its buttons on
its surface below the signing box, as Wacom's STU pads do (their SDK's samples
hit-test pen taps on the buttons drawn on the pad): see ink.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.model import ProtocolError

STOP, START, QUERY, TOUCH_QUERY = b"0", b"1", b"*", b"%"
HEADER, CONTROL, TOUCH = 0x80, 0x40, 0x10
QUERY_LEN, PEN_LEN = 11, 9
PROXIMITY, ERASER, SIDE, TIP = 0x20, 0x04, 0x02, 0x01
PEN_RESERVED = CONTROL | TOUCH | 0x08  # never set in a pen report's first byte


@dataclass(frozen=True)
class Capabilities:
    """What the query reply says of the pen: its ranges and the sensor's firmware."""

    x_max: int
    y_max: int
    pressure_max: int
    tilt_x_max: int
    tilt_y_max: int
    version: int


@dataclass(frozen=True)
class PenReport:
    proximity: bool  # the pen is near the surface
    tip: bool  # the pen touches it
    side: bool
    eraser: bool
    x: int
    y: int
    pressure: int
    tilt_x: int
    tilt_y: int


def packet_length(first: int) -> int | None:
    """How long the packet this byte begins is; None when it begins none."""
    if not first & HEADER:
        return None
    return QUERY_LEN if first & CONTROL else PEN_LEN


def _fields(raw: bytes) -> tuple[int, int, int]:
    """x, y and pressure (or their maxima), spread over bytes 1 to 6."""
    x = (raw[1] << 9) | (raw[2] << 2) | ((raw[6] >> 5) & 0x03)
    y = (raw[3] << 9) | (raw[4] << 2) | ((raw[6] >> 3) & 0x03)
    pressure = ((raw[6] & 0x07) << 7) | raw[5]
    return x, y, pressure


def _synced(raw: bytes, size: int, what: str) -> None:
    if len(raw) != size or not raw[0] & HEADER or any(b & HEADER for b in raw[1:]):
        raise ProtocolError(f"not an ISDV4 {what}: {raw.hex(' ')}", "bad_frame")


def parse_query(raw: bytes) -> Capabilities:
    """The 11-byte query reply; ProtocolError for anything else."""
    _synced(raw, QUERY_LEN, "query reply")
    if raw[0] & 0xC0 != 0xC0 or raw[0] & 0x3F != 0:
        raise ProtocolError(f"not a pen query reply: {raw[0]:#04x}", "bad_frame")
    x_max, y_max, pressure_max = _fields(raw)
    if x_max == 0 or y_max == 0:
        raise ProtocolError("the pad reports no coordinate range", "bad_frame")
    return Capabilities(x_max, y_max, pressure_max, raw[8], raw[7], (raw[9] << 7) | raw[10])


def parse_pen(raw: bytes) -> PenReport:
    """One 9-byte pen report; ProtocolError for anything else (a touch packet too)."""
    _synced(raw, PEN_LEN, "pen report")
    first = raw[0]
    if first & PEN_RESERVED:
        raise ProtocolError(f"not a pen report: {first:#04x}", "bad_frame")
    x, y, pressure = _fields(raw)
    return PenReport(
        proximity=bool(first & PROXIMITY),
        tip=bool(first & TIP),
        side=bool(first & SIDE),
        eraser=bool(first & ERASER),
        x=x,
        y=y,
        pressure=pressure,
        tilt_x=raw[7],
        tilt_y=raw[8],
    )
