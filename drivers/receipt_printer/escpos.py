"""The driver's ESC/POS encoder and status decoder (the simulator has its own).

Text is GB18030; characters outside the printer's GBK font ROM (rare name
characters from CJK extensions) are printed as a raster image of the line instead
of as a wrong glyph. Real-time status is `DLE EOT n`; its answer has the fixed
form 0xx1xx10, and an answer that breaks it is a protocol error, not a status.
"""

from __future__ import annotations

from drivers.model import ProtocolError
from drivers.receipt_printer.slip import Feed, QrCode, Rule, Slip, Text

ESC, GS, DLE, EOT, LF = 0x1B, 0x1D, 0x10, 0x04, 0x0A
INIT = bytes([ESC, 0x40])
CUT = bytes([GS, 0x56, 0x42, 0x00])  # feed to the cutter and cut
COLUMNS = {58: 32, 80: 48}  # half-width characters per line
ALIGN = {"left": 0, "center": 1, "right": 2}


def status_request(n: int) -> bytes:
    return bytes([DLE, EOT, n])


def parse_status_byte(value: int) -> int:
    if value & 0b1001_0011 != 0b0001_0010:
        raise ProtocolError(f"status byte {value:#04x} is not of the form 0xx1xx10", "bad_frame")
    return value


def decode_status(printer: int, offline: int, paper: int) -> dict[str, str]:
    """Media and supplies from the answers to DLE EOT 1, 2 and 4."""
    for byte in (printer, offline, paper):
        parse_status_byte(byte)
    media = {
        "paper": "out" if paper & 0b0110_0000 else "low" if paper & 0b0000_1100 else "ok",
        "cover": "open" if offline & 0b0000_0100 else "closed",
        "online": "no" if printer & 0b0000_1000 else "yes",
    }
    if offline & 0b0100_0000:
        media["error"] = "yes"
    return media


def in_font(char: str) -> bool:
    """Whether the printer's GBK font has the character (else it is rasterised)."""
    try:
        char.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False


def encode_slip(slip: Slip, raster: object | None = None) -> bytes:
    """The bytes that print the slip. `raster(text, size) -> (width_bytes, height, bits)`
    draws a line the font cannot; without it such characters become '?'."""
    out = bytearray(INIT)
    columns = COLUMNS[slip.paper_mm]
    for element in slip.elements:
        if isinstance(element, Text):
            out += bytes([ESC, 0x61, ALIGN[element.align]])
            out += bytes([ESC, 0x45, 1 if element.bold else 0])
            out += bytes([GS, 0x21, 0x11 if element.size == 2 else 0x00])
            if all(in_font(c) for c in element.text) or raster is None:
                out += element.text.encode("gbk", errors="replace") + bytes([LF])
            else:
                width, height, bits = raster(element.text, element.size)  # type: ignore[operator]
                out += raster_image(width, height, bits)
        elif isinstance(element, QrCode):
            out += bytes([ESC, 0x61, ALIGN[element.align]]) + qr_code(element.data)
        elif isinstance(element, Rule):
            out += bytes([ESC, 0x61, 0, GS, 0x21, 0x00]) + b"-" * columns + bytes([LF])
        elif isinstance(element, Feed):
            out += bytes([ESC, 0x64, element.lines])
    out += bytes([GS, 0x21, 0x00, ESC, 0x45, 0]) + CUT
    return bytes(out)


def qr_code(data: str, module: int = 6) -> bytes:
    payload = data.encode("utf-8")
    store = len(payload) + 3
    return b"".join(
        [
            bytes([GS, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]),  # model 2
            bytes([GS, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, module]),  # module size
            bytes([GS, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]),  # error correction M
            bytes([GS, 0x28, 0x6B, store & 0xFF, store >> 8, 0x31, 0x50, 0x30]) + payload,
            bytes([GS, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]),  # print it
            bytes([LF]),
        ]
    )


def raster_image(width_bytes: int, height: int, bits: bytes) -> bytes:
    """GS v 0: a 1-bit image, `width_bytes` bytes per row."""
    if len(bits) != width_bytes * height:
        raise ValueError("raster size does not match its data")
    return (
        bytes(
            [GS, 0x76, 0x30, 0x00, width_bytes & 0xFF, width_bytes >> 8, height & 0xFF, height >> 8]
        )
        + bits
    )
