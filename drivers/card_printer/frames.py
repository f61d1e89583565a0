"""The driver's side of the rewrite module's commands (the simulator has its own code).

Where it comes from. A rewritable card printer in an endorsement machine is a module of
the same motorised card unit as the transport (the card is printed where the chip is
read), so it answers on the transport's frame: STX F2, address, a two-byte length, 'C'
CM PM data, ETX 03, BCC (the XOR of STX through ETX); ACK (06) then 'P' CM PM ST0 ST1 ST2
data or 'N' CM PM E1 E0; a bad BCC is answered NAK (15) alone and the frame is sent
again (drivers/card_transport/frames.py names the public sources). The codec is that
module's. What a thermal-rewrite printer does (a short status with the head's state,
erase an area, print a 1-bit image, no ribbon) follows public host code for one (ANA-U
EasyPrinter S3, github.com/Portalum/Portalum.TrwPrinter); its bytes are another
command language and are not used here. **The command codes below, the chunked image
with its CRCs and the read-back are this project's own** (docs/devices.md): vendors of
these modules differ, and none publishes a specification.

    30 30            initialise (clears a head error); data: the firmware
    31 30            status: ST0 card (0 none, 1 present with an image, 2 present,
                     erased), ST1 head (0 ok, 1 too hot, 2 error), ST2 (0 idle, 1 an
                     image loading); data: the head's temperature, 3 digits, °C
    50 30            the strip: data WWWW HHHH (dots, 4 digits each) DDD (dots per
                     inch) R (1: it can read the strip back, 0: it cannot)
    51 30            erase the whole strip
    52 30 W W H H    an image begins: width and height in dots, 2 bytes each
    52 31 O O O O ... C C
                     a chunk: its offset in the image (4 bytes), its bytes, the
                     CRC-16/CCITT-FALSE of offset and bytes (2 bytes); taken again at
                     the same offset, it replaces itself, so a resent chunk is harmless
    52 32 C C C C    print the image: the CRC-32 (IEEE) of all of it; refused unless
                     every byte came and the strip is erased
    53 30 O O O O L L
                     read back L bytes from offset O; data: the bytes and their
                     CRC-16 as in 52 31
    A2 30            the module's serial number

Multi-byte numbers are big-endian.
"""

from __future__ import annotations

import binascii
import zlib

from drivers.card_transport.frames import ACK, NAK, STX, Reply, command, parse

__all__ = ["ACK", "NAK", "STX", "Reply", "command", "parse"]

INIT, STATUS, AREA, ERASE, IMAGE, READ_BACK, SERIAL = 0x30, 0x31, 0x50, 0x51, 0x52, 0x53, 0xA2
ASK = 0x30  # the parameter of the commands that have one meaning
BEGIN, CHUNK, PRINT = 0x30, 0x31, 0x32
CHUNK_BYTES = 1024  # image bytes in one frame

# ST0 -> the card, and what its strip holds
CARD = {"0": "none", "1": "present", "2": "present"}
STRIP = {"0": "none", "1": "written", "2": "erased"}
HEAD = {"0": "ok", "1": "too_hot", "2": "error"}

# E1E0 of a negative answer -> the class-specific error code
ERRORS = {
    "00": "undefined_command",
    "01": "bad_parameter",
    "02": "sequence_error",
    "20": "no_card",
    "30": "head_error",
    "31": "head_too_hot",
    "40": "not_erased",
    "B0": "no_readback",
    "C1": "chunk_checksum",
    "C2": "image_checksum",
}


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 1021, init FFFF): binascii's CRC-CCITT from FFFF."""
    return binascii.crc_hqx(data, 0xFFFF)


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def chunk(offset: int, data: bytes) -> bytes:
    head = offset.to_bytes(4, "big") + data
    return head + crc16(head).to_bytes(2, "big")


def begin(width: int, height: int) -> bytes:
    return width.to_bytes(2, "big") + height.to_bytes(2, "big")


def read_request(offset: int, size: int) -> bytes:
    return offset.to_bytes(4, "big") + size.to_bytes(2, "big")


def read_answer(offset: int, data: bytes) -> bytes | None:
    """The bytes of a read-back answer, or None when its CRC is wrong."""
    if len(data) < 2:
        return None
    body, crc = data[:-2], int.from_bytes(data[-2:], "big")
    return body if crc16(offset.to_bytes(4, "big") + body) == crc else None
