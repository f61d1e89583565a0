"""The chip's logical data structure (ICAO 9303 part 10): BER-TLV, EF.COM (which data
groups the chip has) and DG1 (the MRZ as the chip holds it)."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.smartcard.mrz import Mrz, parse

DATA_GROUP_TAGS = {
    0x61: 1,
    0x75: 2,
    0x63: 3,
    0x76: 4,
    0x65: 5,
    0x66: 6,
    0x67: 7,
    0x68: 8,
    0x69: 9,
    0x6A: 10,
    0x6B: 11,
    0x6C: 12,
    0x6D: 13,
    0x6E: 14,
    0x6F: 15,
    0x70: 16,
}


class LdsError(ValueError):
    """A data group that is not the TLV it should be."""


def tlv(data: bytes) -> list[tuple[int, bytes]]:
    """The top-level (tag, value) pairs of BER-TLV data; tags of one or two bytes."""
    found, at = [], 0
    while at < len(data):
        tag = data[at]
        at += 1
        if tag & 0x1F == 0x1F:  # a two-byte tag
            if at >= len(data):
                raise LdsError("truncated tag")
            tag = (tag << 8) | data[at]
            at += 1
        if at >= len(data):
            raise LdsError("truncated length")
        length = data[at]
        at += 1
        if length & 0x80:
            count = length & 0x7F
            if count not in (1, 2, 3) or at + count > len(data):
                raise LdsError("bad length")
            length = int.from_bytes(data[at : at + count], "big")
            at += count
        if at + length > len(data):
            raise LdsError("value runs past the data")
        found.append((tag, data[at : at + length]))
        at += length
    return found


def _inside(data: bytes, outer: int) -> dict[int, bytes]:
    items = tlv(data)
    if len(items) != 1 or items[0][0] != outer:
        raise LdsError(f"expected one {outer:#x} object")
    return dict(tlv(items[0][1]))


@dataclass(frozen=True)
class Com:
    lds_version: str
    unicode_version: str
    data_groups: list[int]


def parse_com(data: bytes) -> Com:
    fields = _inside(data, 0x60)
    try:
        groups = [DATA_GROUP_TAGS[tag] for tag in fields[0x5C]]
        return Com(fields[0x5F01].decode("ascii"), fields[0x5F36].decode("ascii"), groups)
    except (KeyError, UnicodeDecodeError) as exc:
        raise LdsError(f"EF.COM lacks or garbles {exc}") from None


def parse_dg1(data: bytes) -> Mrz:
    fields = _inside(data, 0x61)
    try:
        text = fields[0x5F1F].decode("ascii")
    except (KeyError, UnicodeDecodeError):
        raise LdsError("DG1 holds no MRZ") from None
    width = {90: 30, 72: 36, 88: 44}.get(len(text))
    if width is None:
        raise LdsError(f"an MRZ of {len(text)} characters")
    return parse("\n".join(text[i : i + width] for i in range(0, len(text), width)))


def encode_tlv(tag: int, value: bytes) -> bytes:
    """One BER-TLV object (tags of one or two bytes)."""
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = b"\x81" + bytes([n])
    elif n < 0x10000:
        length = b"\x82" + n.to_bytes(2, "big")
    else:
        length = b"\x83" + n.to_bytes(3, "big")
    return tag.to_bytes(2 if tag > 0xFF else 1, "big") + length + value


def encode_com(data_groups: list[int]) -> bytes:
    tags = {group: tag for tag, group in DATA_GROUP_TAGS.items()}
    return encode_tlv(
        0x60,
        encode_tlv(0x5F01, b"0107")
        + encode_tlv(0x5F36, b"040000")
        + encode_tlv(0x5C, bytes(tags[g] for g in data_groups)),
    )


def encode_dg1(mrz_text: str) -> bytes:
    return encode_tlv(0x61, encode_tlv(0x5F1F, mrz_text.replace("\n", "").encode("ascii")))
