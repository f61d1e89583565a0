"""Decoding the card's 1024-byte photo slot: a plugin.

Real cards carry a WLT image, a proprietary compression only the vendor's library
decodes (to a 102x126 BMP); a vendor's decoder plugs in with `decode(slot) -> image
bytes`. For tests and simulators the project's stand-in puts a JPEG of the 102x126
photo (at most 1024 bytes) in the slot, padded with zeros.
"""

from __future__ import annotations

from typing import Protocol

from drivers.model import InvalidData


class PhotoDecoder(Protocol):
    def decode(self, slot: bytes) -> bytes: ...


class JpegStandIn:
    """The stand-in decoder: the JPEG up to its end marker."""

    def decode(self, slot: bytes) -> bytes:
        end = slot.rfind(b"\xff\xd9")
        if not slot.startswith(b"\xff\xd8") or end < 0:
            raise InvalidData("the photo slot holds no stand-in JPEG", "photo_undecodable")
        return slot[: end + 2]


def pad_slot(jpeg: bytes) -> bytes:
    if len(jpeg) > 1024:
        raise ValueError(f"a stand-in photo is at most 1024 bytes, not {len(jpeg)}")
    return jpeg + bytes(1024 - len(jpeg))
