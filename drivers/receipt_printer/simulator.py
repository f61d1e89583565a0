"""A simulated ESC/POS receipt printer at the far end of a pty.

Its own decoder (not the driver's encoder run backwards) reads the byte stream,
keeps paper, cover and cutter state, answers `DLE EOT` at once even mid-job, and
renders each cut slip to a PNG. Unknown commands are counted and skipped, never
a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import segno
from PIL import Image, ImageDraw, ImageFont

from drivers.simulator import FaultPlan, PtySimulator

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
LINE_MM = {1: 4.0, 2: 8.0}  # paper a line of text takes
DOTS_PER_MM = 8  # 203 dpi
COLUMNS = 48  # half-width characters per line on 80 mm paper, font A


@dataclass
class PrinterProfile:
    paper_mm: float = 20_000.0  # a fresh 80 mm roll is about 50 m; this one is shorter
    near_end_mm: float = 500.0
    cover_open: bool = False
    error: bool = False


@dataclass
class PrintedSlip:
    lines: list[str] = field(default_factory=list)  # text, "[qr:...]", "[raster WxH]"
    png: Path | None = None
    complete: bool = True  # False when the paper ran out during it


class EscPosSimulator(PtySimulator):
    name = "receipt_printer"
    profile_class = PrinterProfile

    def __init__(
        self,
        profile: PrinterProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(faults, folder)
        self.profile = profile or PrinterProfile()
        self.slips: list[PrintedSlip] = []
        self.unknown_commands = 0
        self._buffer = bytearray()
        self._current = PrintedSlip()
        self._items: list[tuple[str, Any]] = []  # what the PNG will show
        self._size = 1
        self._qr_data = b""

    # --- state a technician (or a test) changes ---------------------------------

    def device_fault(self, kind: str) -> None:
        if kind == "paper_out":
            self.profile.paper_mm = min(self.profile.paper_mm, 10.0)  # runs out mid-job
        elif kind == "cover_open":
            self.profile.cover_open = True
        elif kind == "jam":
            self.profile.error = True

    # --- the wire ------------------------------------------------------------------

    def handle(self, data: bytes) -> bytes:
        self._buffer += data
        replies = bytearray()
        while self._buffer:
            used, reply = self._parse(bytes(self._buffer))
            if used == 0:
                break  # an incomplete command: wait for the rest
            del self._buffer[:used]
            replies += reply
        return bytes(replies)

    def _parse(self, b: bytes) -> tuple[int, bytes]:
        first = b[0]
        if first == 0x10:  # DLE EOT n: real-time status
            if len(b) < 3:
                return 0, b""
            if b[1] == 0x04 and 1 <= b[2] <= 4:
                return 3, bytes([self._status(b[2])])
            self.unknown_commands += 1
            return 1, b""
        if first == 0x1B:  # ESC
            if len(b) < 2:
                return 0, b""
            if b[1] == 0x40:
                self._size = 1
                return 2, b""
            if b[1] in (0x61, 0x45, 0x64):
                if len(b) < 3:
                    return 0, b""
                if b[1] == 0x64:
                    self._feed_lines(b[2])
                return 3, b""
        elif first == 0x1D:  # GS
            return self._parse_gs(b)
        elif first == 0x0A:
            self._line()
            return 1, b""
        elif first >= 0x20:
            end = next((i for i, c in enumerate(b) if c < 0x20), len(b))
            if end == len(b):
                return 0, b""  # text continues in the next chunk (or its LF)
            self._text += b[:end]
            return end, b""
        self.unknown_commands += 1
        return 1, b""

    def _parse_gs(self, b: bytes) -> tuple[int, bytes]:
        if len(b) < 2:
            return 0, b""
        if b[1] == 0x21:  # GS ! n: size
            if len(b) < 3:
                return 0, b""
            self._size = 2 if b[2] & 0x0F else 1
            return 3, b""
        if b[1] == 0x56:  # GS V m [n]: cut
            if len(b) < 3:
                return 0, b""
            length = 4 if b[2] in (0x41, 0x42) else 3
            if len(b) < length:
                return 0, b""
            self._cut()
            return length, b""
        if b[1] == 0x28 and len(b) >= 5 and b[2] == 0x6B:  # GS ( k: QR code functions
            length = 5 + b[3] + (b[4] << 8)
            if len(b) < length:
                return 0, b""
            function = b[6] if length > 6 else 0
            if function == 0x50:
                self._qr_data = b[8:length]
            elif function == 0x51:
                self._items.append(("qr", self._qr_data.decode("utf-8", errors="replace")))
                self._current.lines.append(f"[qr:{self._qr_data.decode(errors='replace')}]")
                self._use_paper(25.0)
            return length, b""
        if b[1] == 0x28 and len(b) < 5:
            return 0, b""
        if b[1] == 0x76 and len(b) >= 8 and b[2] == 0x30:  # GS v 0: raster image
            width, height = b[4] + (b[5] << 8), b[6] + (b[7] << 8)
            length = 8 + width * height
            if len(b) < length:
                return 0, b""
            self._items.append(("raster", (width, height, b[8:length])))
            self._current.lines.append(f"[raster {width * 8}x{height}]")
            self._use_paper(height / DOTS_PER_MM)
            return length, b""
        if b[1] == 0x76 and len(b) < 8:
            return 0, b""
        self.unknown_commands += 1
        return 1, b""

    # --- paper ------------------------------------------------------------------

    _text = b""

    def _line(self) -> None:
        text = self._text.decode("gb18030", errors="replace")
        self._text = b""
        self._current.lines.append(text)
        for part in _wrap(text, COLUMNS // self._size):  # the printer wraps by itself
            self._items.append(("text", (part, self._size)))
            self._use_paper(LINE_MM[self._size])

    def _feed_lines(self, count: int) -> None:
        self._use_paper(LINE_MM[1] * count)

    def _use_paper(self, mm: float) -> None:
        if self.profile.paper_mm <= 0:
            self._current.complete = False
            return
        self.profile.paper_mm = max(0.0, self.profile.paper_mm - mm)
        if self.profile.paper_mm == 0:
            self._current.complete = False

    def _cut(self) -> None:
        slip = self._current
        slip.png = self.folder / f"slip-{len(self.slips) + 1}.png"
        _render(self._items, slip.png)
        self.slips.append(slip)
        self._current, self._items = PrintedSlip(), []

    def _status(self, n: int) -> int:
        p = self.profile
        out = p.paper_mm <= 0
        near = p.paper_mm <= p.near_end_mm
        value = 0b0001_0010
        if n == 1 and (out or p.cover_open or p.error):
            value |= 0x08
        elif n == 2:
            value |= (0x04 if p.cover_open else 0) | (0x20 if out else 0) | (0x40 if p.error else 0)
        elif n == 3 and p.error:
            value |= 0x20
        elif n == 4:
            value |= (0x60 if out else 0) | (0x0C if near else 0)
        return value


def _wrap(text: str, columns: int) -> list[str]:
    """Split where the printer would: a Chinese character takes two columns."""
    parts, current, used = [], "", 0
    for char in text:
        width = 1 if ord(char) < 0x80 else 2
        if used + width > columns:
            parts.append(current)
            current, used = "", 0
        current += char
        used += width
    return [*parts, current]


def _render(items: list[tuple[str, Any]], path: Path) -> None:
    """What the paper looks like: 576 dots wide (80 mm at 203 dpi)."""
    width, y = 576, 8
    rows: list[tuple[str, Any, int]] = []
    for kind, item in items:
        height = {"text": 28, "qr": 200}.get(kind, 0)
        if kind == "text":
            height = 28 * item[1]
        elif kind == "raster":
            height = item[1] + 4
        rows.append((kind, item, height))
    image = Image.new("L", (width, sum(h for _, _, h in rows) + 16), 255)
    draw = ImageDraw.Draw(image)
    for kind, item, height in rows:
        if kind == "text":
            text, size = item
            draw.text((8, y), text, font=ImageFont.truetype(str(FONT), 22 * size), fill=0)
        elif kind == "qr":
            matrix = segno.make_qr(str(item), error="m").matrix
            scale = max(1, 190 // (len(matrix) + 4))
            left = (width - (len(matrix) + 4) * scale) // 2
            for r, row in enumerate(matrix):
                for c, dark in enumerate(row):
                    if dark:
                        x0, y0 = left + (c + 2) * scale, y + (r + 2) * scale
                        draw.rectangle((x0, y0, x0 + scale - 1, y0 + scale - 1), fill=0)
        elif kind == "raster":
            w, h, bits = item
            raster = Image.frombytes("1", (w * 8, h), bytes(b ^ 0xFF for b in bits))
            image.paste(raster.convert("L"), (8, y))
        y += height
    image.save(path)
