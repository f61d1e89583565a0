"""The driver's side of R30x packets (the simulator has its own code).

EF 01 | address (4) | packet id (01 command, 02 data, 07 ack, 08 end of data) |
length (2: payload + 2) | payload | checksum (2: sum of packet id, length bytes
and payload, modulo 65536)
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.model import ProtocolError

HEADER = b"\xef\x01"
COMMAND, DATA, ACK, END = 0x01, 0x02, 0x07, 0x08
DEFAULT_ADDRESS = b"\xff\xff\xff\xff"
CONFIRMATION = {
    0x00: "ok",
    0x01: "receive_error",
    0x02: "no_finger",
    0x03: "image_failed",
    0x06: "poor_image",
    0x07: "poor_image",
    0x08: "no_match",
    0x09: "not_found",
    0x0A: "combine_failed",
    0x0B: "bad_page",
    0x0C: "read_failed",
    0x13: "wrong_password",
}


def checksum(pid: int, length: bytes, payload: bytes) -> bytes:
    return ((pid + sum(length) + sum(payload)) & 0xFFFF).to_bytes(2, "big")


def packet(pid: int, payload: bytes, address: bytes = DEFAULT_ADDRESS) -> bytes:
    length = (len(payload) + 2).to_bytes(2, "big")
    return HEADER + address + bytes([pid]) + length + payload + checksum(pid, length, payload)


@dataclass(frozen=True)
class Packet:
    pid: int
    payload: bytes


def parse(raw: bytes) -> Packet:
    """One whole packet; ProtocolError for anything else."""
    if len(raw) < 11 or raw[:2] != HEADER:
        raise ProtocolError("not an R30x packet", "bad_frame")
    pid, length = raw[6], raw[7:9]
    size = int.from_bytes(length, "big")
    if len(raw) != 9 + size or size < 2:
        raise ProtocolError("the length field does not match", "bad_frame")
    payload = raw[9:-2]
    if checksum(pid, length, payload) != raw[-2:]:
        raise ProtocolError("checksum error", "bad_checksum")
    if pid not in (COMMAND, DATA, ACK, END):
        raise ProtocolError(f"unknown packet id {pid:#04x}", "bad_frame")
    return Packet(pid, payload)
