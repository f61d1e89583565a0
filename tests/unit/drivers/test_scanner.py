from __future__ import annotations

import numpy as np
import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.model import DeviceTimeout, ProtocolError
from drivers.scanner.camera import codes_in_frame
from drivers.scanner.codes import kind_of
from drivers.scanner.driver import SerialScanner
from drivers.worker import CommandContext

TD3_BOTTOM = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("134567890123456789", "payment_code"),  # WeChat Pay
        ("284567890123456789", "payment_code"),  # Alipay
        ("934567890123456789", "appointment"),
        ("13456789012345678", "appointment"),  # 17 digits
        ("KP1.abc.def", "proof"),
        ("KP1-GM.abc.def", "proof"),  # the gm suite's proofs (the default's)
        ("KP1-SM.abc.def", "appointment"),
        ("R110101202611230007", "photo_receipt"),
        ("SH-PD-0042-0000017-E", "photo_receipt"),  # ours: kiosk/photo/receipt.py
        ("QJ-7K2M9X", "pickup_notice"),  # a pickup notice (领证通知单)
        ("APPT-2026-1123", "appointment"),
        # an MRZ from the OCR mode, its lines joined (TD3: 2 x 44)
        ("P<UTOERIKSSON<<ANNA<MARIA" + "<" * 19 + TD3_BOTTOM, "mrz"),
        ("P<UTOERIKSSON<<ANNA<MARIA" + "<" * 18, "appointment"),  # one line is not an MRZ
    ],
)
def test_kinds(text, kind):
    assert kind_of(text) == kind


class FakeLink:
    """Bytes as a serial port would give them; a timeout when they run out."""

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.is_open = True
        self.identity = "fake"

    def read(self, size, ctx):
        if not self.data:
            raise DeviceTimeout("no more bytes")
        chunk = bytes(self.data[:size])
        del self.data[:size]
        return chunk


def reader(data: bytes) -> SerialScanner:
    scanner = SerialScanner.__new__(SerialScanner)
    scanner.link = FakeLink(data)  # type: ignore[assignment]
    scanner._pending = bytearray()
    scanner.status = None  # type: ignore[assignment]
    scanner.name = "scanner"
    scanner.on_event = lambda event: None
    return scanner


def test_line_ends_and_bad_lines():
    scanner = reader(b"\r\nA1\rB2\nC3\r\n\x01\x02\r\n\xff\xfe\r\n")
    ctx = CommandContext(float("inf"))
    assert [scanner._read_code(ctx)["text"] for _ in range(3)] == ["A1", "B2", "C3"]
    for _ in range(2):
        with pytest.raises(ProtocolError):
            scanner._read_code(ctx)
    with pytest.raises(DeviceTimeout):
        scanner._read_code(ctx)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_give_codes_errors_or_a_timeout(data):
    scanner = reader(data)
    ctx = CommandContext(float("inf"))
    for _ in range(len(data) + 1):
        try:
            scanner._read_code(ctx)
        except ProtocolError:
            continue
        except DeviceTimeout:
            return


def test_camera_fallback_reads_a_qr_code():
    matrix = np.array(segno.make_qr("134567890123456789").matrix, dtype=np.uint8)
    image = np.kron(1 - matrix, np.ones((8, 8), dtype=np.uint8)) * 255
    image = np.pad(image, 40, constant_values=255)
    assert codes_in_frame(image) == [
        {"text": "134567890123456789", "kind": "payment_code", "symbology": "QRCODE"}
    ]
