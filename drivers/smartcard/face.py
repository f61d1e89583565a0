"""DG2, the face (ICAO 9303 part 10 with ISO/IEC 19794-5): the biometric template
around a facial record whose image is JPEG or JPEG 2000.

`encode` builds what a chip holds (the simulator); `decode` takes it apart and
checks every length against the data it claims, so a bad chip gives a typed error
and never a crash or a half image.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import cv2
import numpy as np

from drivers.smartcard.lds import LdsError, tlv
from drivers.smartcard.lds import encode_tlv as _tlv

FORMATS = {0: "jpeg", 1: "jpeg2000"}
_HEADER = struct.Struct(">4s4sIH")  # "FAC\0", "010\0", record length, number of images
_FACE = struct.Struct(">IHBBB3sH3s3s")  # facial information block (20 bytes)
_IMAGE = struct.Struct(">BBHHBBHH")  # image information block (12 bytes)


@dataclass(frozen=True)
class FaceImage:
    format: str  # jpeg | jpeg2000
    width: int
    height: int
    data: bytes = field(repr=False)  # the encoded image as the chip holds it

    def decoded(self) -> np.ndarray:
        """The pixels (BGR); LdsError if the image data does not decode."""
        image = cv2.imdecode(np.frombuffer(self.data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise LdsError(f"the {self.format} face image does not decode")
        if image.shape[:2] != (self.height, self.width):
            raise LdsError(
                f"the face image is {image.shape[1]}x{image.shape[0]}, "
                f"its header says {self.width}x{self.height}"
            )
        return image


def encode(image: bytes, image_format: str, width: int, height: int) -> bytes:
    data_type = {v: k for k, v in FORMATS.items()}[image_format]
    facial = (
        _FACE.pack(
            _FACE.size + _IMAGE.size + len(image), 0, 0, 0, 0, bytes(3), 0, bytes(3), bytes(3)
        )
        + _IMAGE.pack(1, data_type, width, height, 1, 2, 0, 0)  # full frontal, 24-bit RGB
        + image
    )
    record = _HEADER.pack(b"FAC\0", b"010\0", _HEADER.size + len(facial), 1) + facial
    header = _tlv(0xA1, _tlv(0x80, b"\x01\x01") + _tlv(0x87, b"\x01\x01") + _tlv(0x88, b"\x00\x08"))
    instance = _tlv(0x7F60, header + _tlv(0x5F2E, record))
    return _tlv(0x75, _tlv(0x7F61, _tlv(0x02, b"\x01") + instance))


def decode(dg2: bytes) -> FaceImage:
    """The first face image of DG2."""
    outer = tlv(dg2)
    if len(outer) != 1 or outer[0][0] != 0x75:
        raise LdsError("DG2 is not a 75 object")
    group = dict(tlv(outer[0][1])).get(0x7F61)
    if group is None:
        raise LdsError("DG2 has no biometric information group")
    instance = dict(tlv(group)).get(0x7F60)
    if instance is None:
        raise LdsError("DG2 holds no face")
    parts = dict(tlv(instance))
    record = parts.get(0x5F2E, parts.get(0x7F2E))
    if record is None:
        raise LdsError("DG2 has no biometric data block")
    return _facial_record(record)


def _facial_record(record: bytes) -> FaceImage:
    if len(record) < _HEADER.size + _FACE.size + _IMAGE.size:
        raise LdsError("the facial record is shorter than its headers")
    magic, _, length, count = _HEADER.unpack_from(record)
    if magic != b"FAC\0" or count < 1 or length > len(record):
        raise LdsError("not an ISO 19794-5 facial record")
    at = _HEADER.size
    block_length, feature_points = _FACE.unpack_from(record, at)[:2]
    images_at = at + _FACE.size + 8 * feature_points
    if images_at + _IMAGE.size > len(record) or block_length > len(record) - at:
        raise LdsError("the facial record's lengths do not add up")
    _, data_type, width, height = _IMAGE.unpack_from(record, images_at)[:4]
    if data_type not in FORMATS:
        raise LdsError(f"face image data type {data_type} is neither JPEG nor JPEG 2000")
    image = record[images_at + _IMAGE.size : at + block_length]
    if not image:
        raise LdsError("the facial record holds no image")
    return FaceImage(FORMATS[data_type], width, height, image)
