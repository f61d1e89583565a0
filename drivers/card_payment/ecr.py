"""The driver's framing of the ECR protocol (the simulator has its own)."""

from __future__ import annotations

from drivers.model import ProtocolError

STX, ETX, ACK, NAK, FS = 0x02, 0x03, 0x06, 0x15, 0x1C


def lrc(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def frame(*fields: str) -> bytes:
    payload = bytes([FS]).join(f.encode("ascii") for f in fields)
    body = f"{len(payload):04X}".encode() + payload + bytes([ETX])
    return bytes([STX]) + body + bytes([lrc(body)])


def parse(data: bytes) -> list[str]:
    """The fields of one whole frame; ProtocolError for anything else."""
    if len(data) < 7 or data[0] != STX:
        raise ProtocolError("not an ECR frame", "bad_frame")
    try:
        length = int(data[1:5].decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("bad length field", "bad_frame") from None
    if len(data) != length + 7 or data[5 + length] != ETX:
        raise ProtocolError("frame length does not match", "bad_frame")
    if lrc(data[1:-1]) != data[-1]:
        raise ProtocolError("LRC does not match", "bad_checksum")
    try:
        return data[5 : 5 + length].decode("ascii").split(chr(FS))
    except UnicodeDecodeError:
        raise ProtocolError("payload is not ASCII", "bad_frame") from None
