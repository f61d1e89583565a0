"""The driver's side of the transport's frames (the simulator has its own code).

The frame follows the command set common to motorised card readers over serial
(Creator CRT-310 / CRT-591, MUTEK MTK-571 and their kin), as public host code for
them shows (e.g. github.com/Mega302/AVRM, SmartCardApi.c: `F2 ADDR 00 03 43 31 30
03 BCC` for a status request, replies `P CM PM ST0 ST1 ST2` / `N CM PM E1 E0`) and
Creator's CRT-541 specification (BCC = XOR of every byte from STX through ETX):

    host:   STX(F2) ADDR LENH LENL  'C'  CM PM [DATA]        ETX(03) BCC
    device: ACK(06), then
            STX(F2) ADDR LENH LENL  'P'  CM PM ST0 ST1 ST2 [DATA] ETX BCC   positive
            STX(F2) ADDR LENH LENL  'N'  CM PM E1 E0 [DATA]       ETX BCC   negative

LEN counts the bytes from the command type ('C', 'P', 'N') to the end of DATA. A
frame whose BCC is wrong is answered NAK (15) alone, and the host sends it again.
The storage module's commands (CM 0x60, with 60 32: the retain bin emptied, its
count back to zero), the bin count and the slot map in the status data are this
project's own (docs/devices.md): vendors differ there.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.model import ProtocolError

STX, ETX, ACK, NAK = 0xF2, 0x03, 0x06, 0x15
ADDRESS = 0x00
COMMAND, POSITIVE, NEGATIVE = ord("C"), ord("P"), ord("N")

INIT, STATUS, MOVE, INSERT, STORAGE, SERIAL = 0x30, 0x31, 0x32, 0x33, 0x60, 0xA2
# INIT parameters: what happens to a card inside at a reset
INIT_TO_GATE, INIT_CAPTURE, INIT_NO_MOVE = 0x30, 0x31, 0x33
# STATUS parameters
STATUS_CARD, STATUS_SENSORS = 0x30, 0x31
# MOVE parameters
TO_GATE, TO_RW, TO_BIN = 0x30, 0x31, 0x33
# INSERT parameters
ENABLE, DISABLE = 0x30, 0x31
# STORAGE parameters (the project's); BIN_EMPTIED: the retain bin's count back to zero
DISPENSE, LOAD, BIN_EMPTIED = 0x30, 0x31, 0x32

POSITIONS = {"0": "none", "1": "gate", "2": "inside", "3": "rw_position"}
TRANSPORT = {"0": "ok", "1": "jammed", "2": "stuck_at_gate"}

# E1E0 of a negative answer -> the class-specific error code
ERRORS = {
    "00": "undefined_command",
    "01": "bad_parameter",
    "02": "sequence_error",
    "10": "jam",
    "12": "sensor_error",
    "16": "stuck_at_gate",
    "50": "bin_full",
    "A0": "slot_empty",
    "A1": "slot_occupied",
}


def bcc(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def command(cm: int, pm: int, data: bytes = b"", address: int = ADDRESS) -> bytes:
    body = bytes([COMMAND, cm, pm]) + data
    head = bytes([STX, address]) + len(body).to_bytes(2, "big") + body + bytes([ETX])
    return head + bytes([bcc(head)])


@dataclass(frozen=True)
class Reply:
    positive: bool
    cm: int
    pm: int
    status: str  # ST0 ST1 ST2 of a positive answer, E1 E0 of a negative one
    data: bytes


def parse(raw: bytes) -> Reply:
    """One whole reply frame (from STX to BCC); ProtocolError for anything else."""
    if len(raw) < 9 or raw[0] != STX or raw[-2] != ETX:
        raise ProtocolError("not a card transport frame", "bad_frame")
    size = int.from_bytes(raw[2:4], "big")
    if len(raw) != size + 6:
        raise ProtocolError("the length field does not match", "bad_frame")
    if bcc(raw[:-1]) != raw[-1]:
        raise ProtocolError("checksum error", "bad_checksum")
    kind, cm, pm = raw[4], raw[5], raw[6]
    if kind == POSITIVE and size >= 6:
        return Reply(True, cm, pm, raw[7:10].decode("latin-1"), raw[10:-2])
    if kind == NEGATIVE and size >= 5:
        return Reply(False, cm, pm, raw[7:9].decode("latin-1"), raw[9:-2])
    raise ProtocolError(f"unknown reply type {kind:#04x}", "bad_frame")
