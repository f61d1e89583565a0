"""The driver's side of the SAM frames (the simulator has its own code).

    AA AA AA 96 69 | LEN (2, big-endian: the bytes after it, checksum included) |
    CMD PARA [DATA] (replies: SW1 SW2 SW3 [DATA]) | XOR of every byte after the
    preamble up to the checksum

The card's text is UCS-2 little-endian in fixed fields (in characters): name 15,
sex 1, nation 2, birth 8, address 35, ID number 18, authority 15, valid from 8,
valid to 8, reserved 18; spaces pad. The character at index 124 (in the reserved
part) marks other card types: `J` (港澳台居民居住证) and `I` (外国人永久居留身份证).
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.id_card.nations import NATIONS
from drivers.model import ProtocolError

PREAMBLE = bytes.fromhex("AAAAAA9669")
SAM_STATUS, READ_SAM_ID = (0x11, 0xFF), (0x12, 0xFF)
FIND, SELECT = (0x20, 0x01), (0x20, 0x02)
READ_TEXT_PHOTO = (0x30, 0x01)
SW_OK, SW_FOUND = 0x90, 0x9F
SW_MEANING = {
    0x90: "ok",
    0x9F: "card found",
    0x80: "find failed",
    0x81: "select failed",
    0x91: "no content",
    0x10: "checksum error",
    0x11: "length error",
    0x21: "bad command",
    0x23: "unauthorised",
    0x31: "authentication failed",
    0x32: "authentication failed",
    0x33: "verify failed",
    0x40: "unknown card type",
    0x60: "SAM self-test failed",
}
FIELDS = (
    ("name", 15),
    ("sex", 1),
    ("nation", 2),
    ("birth_date", 8),
    ("address", 35),
    ("id_number", 18),
    ("authority", 15),
    ("valid_from", 8),
    ("valid_until", 8),
)
TEXT_BYTES, PHOTO_BYTES = 256, 1024


def checksum(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def command(cmd: int, para: int, data: bytes = b"") -> bytes:
    body = bytes([cmd, para]) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


@dataclass(frozen=True)
class Reply:
    sw3: int
    data: bytes


def parse_reply(frame: bytes) -> Reply:
    """A whole reply frame (preamble through checksum); ProtocolError for anything else."""
    if len(frame) < 11 or frame[:5] != PREAMBLE:
        raise ProtocolError("not a SAM frame", "bad_frame")
    length = int.from_bytes(frame[5:7], "big")
    if len(frame) != 7 + length:
        raise ProtocolError("the length field does not match the frame", "bad_frame")
    if checksum(frame[5:-1]) != frame[-1]:
        raise ProtocolError("checksum error", "bad_checksum")
    return Reply(frame[9], frame[10:-1])


@dataclass(frozen=True)
class CardText:
    card_type: str  # resident, hk_macau_taiwan (J), foreigner_permanent (I)
    fields: dict[str, str]


def decode_text(text: bytes) -> CardText:
    if len(text) != TEXT_BYTES:
        raise ProtocolError(f"card text is {len(text)} bytes, not 256", "bad_frame")
    try:
        chars = text.decode("utf-16-le")
    except UnicodeDecodeError:
        raise ProtocolError("card text is not UCS-2", "bad_frame") from None
    marker = chars[124]
    card_type = {"J": "hk_macau_taiwan", "I": "foreigner_permanent"}.get(marker, "resident")
    fields, at = {}, 0
    for name, size in FIELDS:
        fields[name] = chars[at : at + size].rstrip(" \x00")
        at += size
    if card_type == "resident":
        fields["sex"] = {"1": "男", "2": "女"}.get(fields["sex"], "未知")
        if fields["nation"] not in NATIONS:
            raise ProtocolError(f"nation code {fields['nation']!r} is not in GB 3304", "bad_frame")
        fields["nation"] = NATIONS[fields["nation"]]
    return CardText(card_type, fields)
