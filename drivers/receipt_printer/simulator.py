"""A simulated ESC/POS receipt printer at the far end of a pty.

It reads the byte stream as a real printer does (escpos_commands.py knows every
command's length, so no parameter byte is ever printed as text), not as the
driver's encoder run backwards: any ESC/POS client can be tested against it. It
keeps paper, cover and cutter state, answers `DLE EOT` at once even mid-job, and
leaves each cut slip in its folder as slip-N.txt (the text, `[qr:...]`,
`[barcode:...]`, `[raster WxH -> file.png]`, `[cut]`), slip-N-image-M.png for each
image and slip-N.png (the paper as printed). Unknown commands are counted and
skipped, never a crash.

Like a printer sold in China it starts in Chinese character mode: bytes from 0x80
are GB18030 until `FS .`, then the code table of `ESC t` (`FS &` switches back,
`FS ( C` selects UTF-8).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import segno
from PIL import Image, ImageDraw, ImageFont

from drivers.receipt_printer import escpos_commands as cmd
from drivers.receipt_printer.escpos_commands import Token
from drivers.simulator import FaultPlan, PtySimulator

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
LINE_MM = {1: 4.0, 2: 8.0}  # paper a line of text takes
DOTS_PER_MM = 8  # 203 dpi
COLUMNS = 48  # half-width characters per line on 80 mm paper, font A
PAPER_DOTS = 576  # 80 mm paper's printable width
PARTIAL_CUTS = {b"\x01", b"1", b"B", b"b", b"h"}


@dataclass
class PrinterProfile:
    paper_mm: float = 20_000.0  # a fresh 80 mm roll is about 50 m; this one is shorter
    near_end_mm: float = 500.0
    cover_open: bool = False
    error: bool = False  # a jam: nothing prints until it is cleared (`set error false`)
    jam_after_mm: float = 8.0  # how far into the next slip a `jam` fault strikes


@dataclass
class PrintedSlip:
    # text, "[qr:...]", "[barcode:TYPE:data]", "[raster WxH -> slip-N-image-M.png]"
    lines: list[str] = field(default_factory=list)
    png: Path | None = None  # the paper as printed
    complete: bool = True  # False when the paper ran out during it
    txt: Path | None = None  # the lines, and the cut, as UTF-8 text
    images: list[Path] = field(default_factory=list)  # each image printed, as sent


@dataclass
class _Image:
    """An image on the slip; column-format stripes (ESC *) grow it downwards."""

    picture: Image.Image  # mode "1", black where the printer puts ink
    line: int  # its entry in the slip's lines
    path: Path
    stripes: bool = False


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
        self._jam_in_mm: float | None = None  # a jam on its way: paper left before it
        self._buffer = bytearray()
        self._current = PrintedSlip()
        self._items: list[tuple[str, Any]] = []  # what the PNG will show
        self._images: list[_Image] = []
        self._symbols: dict[int, bytes] = {}  # GS ( k data stored, by symbology
        self._stored: Image.Image | None = None  # GS ( L graphics stored, not printed yet
        self._initialise()
        self._handlers: dict[bytes, Callable[[Token], bytes | None]] = {
            key: getattr(self, method) for key, method in _HANDLERS.items()
        }

    def _initialise(self, _: Token | None = None) -> None:
        """ESC @ (and power on): modes back to their defaults, the line buffer emptied."""
        self._width = self._height = 1  # character size multipliers
        self._chinese = True
        self._utf8 = False
        self._code_page = 0
        self._tabs: list[int] = []
        self._enabled = True  # ESC = : off while a customer display is addressed
        self._pending = ""  # text not printed yet (a line ends with LF)
        self._line_has_image = False  # an ESC * stripe waits for its LF
        self._stripe_printed = self._joinable = False
        self._barcode_height = 162

    @property
    def output_folder(self) -> Path:
        """Where each cut slip is kept: slip-N.txt, slip-N-image-M.png, slip-N.png."""
        return self.folder

    # --- state a technician (or a test) changes ---------------------------------

    def device_fault(self, kind: str) -> None:
        if kind == "paper_out":
            self.profile.paper_mm = min(self.profile.paper_mm, 10.0)  # runs out mid-job
        elif kind == "cover_open":
            self.profile.cover_open = True
        elif kind == "jam":
            # the paper jams part-way through the next slip: what came out stays, the
            # rest never prints, and nothing more does until the jam is cleared
            self._jam_in_mm = self.profile.jam_after_mm

    # --- the wire ------------------------------------------------------------------

    def handle(self, data: bytes) -> bytes:
        self._buffer += data
        buffer, pos, replies = bytes(self._buffer), 0, bytearray()
        while pos < len(buffer):
            token = cmd.next_token(buffer, pos)
            if token is None:
                break  # an incomplete command (or text without its end): wait for the rest
            pos += len(token.data)
            replies += self._execute(token)
        del self._buffer[:pos]
        return bytes(replies)

    def _execute(self, token: Token) -> bytes:
        if token.kind == "command" and token.key[:1] == bytes([cmd.DLE]):
            # real-time: executed even while disabled, and it prints nothing
            handler = self._handlers.get(token.key)
            return (handler(token) or b"") if handler else b""
        # an ESC * stripe joins the image above only right after the LF that printed it
        self._joinable, self._stripe_printed = self._stripe_printed, False
        if token.kind == "unknown":
            self.unknown_commands += 1
            return b""
        if not self._enabled and token.key != cmd.key("ESC ="):
            return b""  # the customer display's data, not the printer's
        if token.kind == "text":
            self._pending += self._decode(token.data)
            return b""
        handler = self._handlers.get(token.key)
        return (handler(token) or b"") if handler else b""  # styles: nothing to keep

    def _decode(self, data: bytes) -> str:
        if self._utf8:
            return data.decode("utf-8", errors="replace")
        if self._chinese:
            return data.decode("gb18030", errors="replace")
        codec = cmd.CODE_PAGES.get(self._code_page, "cp437")
        if codec == "katakana":  # half-width katakana: JIS X 0201's upper half
            return "".join(
                bytes([c]).decode("cp932") if c < 0x80 or 0xA1 <= c <= 0xDF else "\ufffd"
                for c in data
            )
        return data.decode(codec, errors="replace")

    # --- commands ------------------------------------------------------------------

    def _lf(self, _: Token) -> None:
        if self._line_has_image and not self._pending:
            self._line_has_image = False  # the LF printed the image's stripe
            self._stripe_printed = True
            return
        self._line()

    def _flush(self, _: Token | None = None) -> None:
        """Commands that print the buffer first (ESC d, ESC J, FF, a cut, an image)."""
        if self._pending:
            self._line()
        self._line_has_image = False

    def _tab(self, _: Token) -> None:
        used = _width(self._pending)
        stops = self._tabs or range(8, COLUMNS, 8)
        self._pending += " " * next((s - used for s in stops if s > used), 0)

    def _set_tabs(self, token: Token) -> None:
        self._tabs = [n for n in token.params if n]

    def _feed(self, token: Token) -> None:
        self._flush()
        self._use_paper(LINE_MM[1] * token.params[0])

    def _feed_dots(self, token: Token) -> None:
        self._flush()
        self._use_paper(token.params[0] / DOTS_PER_MM)

    def _print_mode(self, token: Token) -> None:  # ESC ! n
        n = token.params[0]
        self._height, self._width = (2 if n & 0x10 else 1), (2 if n & 0x20 else 1)

    def _size(self, token: Token) -> None:  # GS ! n
        n = token.params[0]
        self._height, self._width = (n & 0x0F) + 1, (n >> 4) + 1

    def _select(self, token: Token) -> None:  # ESC = n
        self._enabled = bool(token.params[0] & 1)

    def _code_table(self, token: Token) -> None:  # ESC t n
        self._code_page = token.params[0]

    def _chinese_on(self, _: Token) -> None:  # FS &
        self._chinese = True

    def _chinese_off(self, _: Token) -> None:  # FS .
        self._chinese = False

    def _encoding(self, token: Token) -> None:  # FS ( C pL pH fn m
        fn, m = (token.params[2:4] + b"\x00\x00")[:2]
        if fn == 48:
            self._utf8 = m in (2, 50)

    def _clear_buffers(self, _: Token) -> None:  # DLE DC4 8
        self._pending, self._line_has_image = "", False

    def _status_request(self, token: Token) -> bytes | None:  # DLE EOT n
        n = token.params[0]
        return bytes([self._status(n)]) if 1 <= n <= 4 else None

    def _sensor_status(self, token: Token) -> bytes | None:
        """GS r 1 (and ESC v): paper near-end in bits 0-1, paper out in bits 2-3."""
        if token.key == cmd.key("GS r") and token.params[0] not in (1, 49):
            return b"\x00" if token.params[0] in (2, 50) else None  # drawer: pin low
        p = self.profile
        near, out = p.paper_mm <= p.near_end_mm, p.paper_mm <= 0
        return bytes([(0x03 if near else 0) | (0x0C if out else 0)])

    def _printer_id(self, token: Token) -> bytes | None:  # GS I n
        answers = {1: b"\x20", 2: b"\x02", 3: b"\x10"}  # model, type (multi-byte), ROM
        n = token.params[0]
        return answers.get(n if n < 48 else n - 48)

    def _cut(self, token: Token) -> None:
        self._flush()
        # GS V 1, 49, 66, 98 and 104 cut partially (one point left), as ESC i and ESC m do
        partial = (
            token.key in (cmd.key("ESC i"), cmd.key("ESC m")) or token.params[:1] in PARTIAL_CUTS
        )
        slip, n = self._current, len(self.slips) + 1
        if self.profile.error and not slip.lines:  # jammed: nothing came out, no cut
            self._current, self._items, self._images = PrintedSlip(), [], []
            return
        for image in self._images:
            image.picture.save(image.path)
            slip.images.append(image.path)
        slip.png = self.folder / f"slip-{n}.png"
        _render(self._items, slip.png)
        slip.txt = self.folder / f"slip-{n}.txt"
        cut = "[jammed]" if self.profile.error else "[cut partial]" if partial else "[cut]"
        slip.txt.write_text("".join(f"{_printable(line)}\n" for line in [*slip.lines, cut]))
        self.slips.append(slip)
        self._current, self._items, self._images = PrintedSlip(), [], []

    def _symbol(self, token: Token) -> None:  # GS ( k pL pH cn fn [m] d...
        cn, fn = (token.params[2:4] + b"\x00\x00")[:2]
        if fn == 80:  # store the data
            self._symbols[cn] = token.params[5:]
        elif fn == 81:  # print it
            self._flush()
            if self._jammed():
                return
            data = self._symbols.get(cn, b"").decode("utf-8", errors="replace")
            kind = cmd.SYMBOLS.get(cn, f"2d-{cn}")
            self._current.lines.append(f"[{kind}:{data}]")
            self._items.append((kind if kind == "qr" else "label", data))
            self._use_paper(25.0)

    def _barcode(self, token: Token) -> None:  # GS k m ...
        m, data = token.params[0], token.params[1:]
        data = data[1:] if m >= 65 else data.rstrip(b"\x00")
        self._flush()
        if self._jammed():
            return
        kind = cmd.BARCODES.get(m, f"type-{m}")
        self._current.lines.append(f"[barcode:{kind}:{data.decode('latin-1')}]")
        self._items.append(("label", f"|||| {kind} {data.decode('latin-1')} ||||"))
        self._use_paper(self._barcode_height / DOTS_PER_MM + 4.0)

    def _barcode_height_set(self, token: Token) -> None:  # GS h n
        self._barcode_height = token.params[0] or 1

    def _raster(self, token: Token) -> None:  # GS v 0 m xL xH yL yH d...
        p = token.params
        width, height = p[1] + (p[2] << 8), p[3] + (p[4] << 8)
        self._flush()
        self._add_image(_bits_to_image(width * 8, width, height, p[5:]))

    def _graphics(self, token: Token) -> None:
        """GS ( L / GS 8 L, fn 112: store a raster in the print buffer; fn 50: print it."""
        head = 4 if token.key == cmd.key("GS 8 L") else 2  # the length field
        p = token.params[head:]
        if len(p) < 2 or p[0] not in (48, 0):
            return
        fn = p[1]
        if fn == 112 and len(p) >= 10 and p[2] == 48:  # monochrome only
            width, height = p[6] + (p[7] << 8), p[8] + (p[9] << 8)
            if len(p) - 10 == (width + 7) // 8 * height:  # else the printer ignores it
                self._stored = _bits_to_image(width, (width + 7) // 8, height, p[10:])
        elif fn in (50, 2) and self._stored is not None:
            self._flush()
            self._add_image(self._stored)
            self._stored = None

    def _column_image(self, token: Token) -> None:  # ESC * m nL nH d...
        """One stripe (8 or 24 dots high) that the next LF prints; stripes one under
        the other make one image, as they do on paper."""
        p = token.params
        m, columns = p[0], p[1] + (p[2] << 8)
        dots = 8 if m < 32 else 24
        if columns == 0:
            return
        # a column is `dots` bits top to bottom: read as rows, then turned; 1 = ink
        ink = bytes(b ^ 0xFF for b in p[3:])
        stripe = Image.frombytes("1", (dots, columns), ink).transpose(Image.Transpose.TRANSPOSE)
        last = self._images[-1] if self._images else None
        if self._jammed():
            return
        if self._joinable and last is not None and last.stripes:
            joined = Image.new(
                "1", (max(last.picture.width, columns), last.picture.height + dots), 1
            )
            joined.paste(last.picture, (0, 0))
            joined.paste(stripe, (0, last.picture.height))
            last.picture = joined
            self._current.lines[last.line] = _raster_line(last)
            self._use_paper(dots / DOTS_PER_MM)
        else:
            self._flush()
            self._add_image(stripe, stripes=True)
        self._line_has_image = True

    # --- paper ------------------------------------------------------------------

    def _add_image(self, picture: Image.Image, stripes: bool = False) -> None:
        if self._jammed():
            return
        n, m = len(self.slips) + 1, len(self._images) + 1
        image = _Image(picture, len(self._current.lines), self.folder / f"slip-{n}-image-{m}.png")
        image.stripes = stripes
        self._images.append(image)
        self._current.lines.append(_raster_line(image))
        self._items.append(("raster", image))
        self._use_paper(picture.height / DOTS_PER_MM)

    def _line(self) -> None:
        text, self._pending = self._pending, ""
        self._line_has_image = False
        if self._jammed():
            return
        self._current.lines.append(text)
        height = min(self._height, 2)
        for part in _wrap(text, max(1, COLUMNS // self._width)):  # the printer wraps
            self._items.append(("text", (part, height)))
            self._use_paper(LINE_MM[1] * self._height)

    def _jammed(self) -> bool:
        """Jammed now: this part of the slip never comes out."""
        if self.profile.error:
            self._current.complete = False
        return self.profile.error

    def _use_paper(self, mm: float) -> None:
        if self._jam_in_mm is not None:
            self._jam_in_mm -= mm
            if self._jam_in_mm <= 0:
                self._jam_in_mm, self.profile.error = None, True
                self._current.complete = False
        if self.profile.paper_mm <= 0:
            self._current.complete = False
            return
        self.profile.paper_mm = max(0.0, self.profile.paper_mm - mm)
        if self.profile.paper_mm == 0:
            self._current.complete = False

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


# What the printer does for each command it acts on; every other known command
# (font, bold, underline, alignment, spacing, drawer, buzzer, real-time recovery...)
# changes nothing the simulator keeps.
_HANDLERS: dict[bytes, str] = {
    bytes([cmd.LF]): "_lf",
    bytes([cmd.FF]): "_flush",
    bytes([cmd.HT]): "_tab",
    cmd.key("DLE EOT"): "_status_request",
    cmd.key("DLE DC4 #8"): "_clear_buffers",
    cmd.key("ESC @"): "_initialise",
    cmd.key("ESC !"): "_print_mode",
    cmd.key("ESC D"): "_set_tabs",
    cmd.key("ESC d"): "_feed",
    cmd.key("ESC e"): "_flush",
    cmd.key("ESC J"): "_feed_dots",
    cmd.key("ESC K"): "_flush",
    cmd.key("ESC ="): "_select",
    cmd.key("ESC t"): "_code_table",
    cmd.key("ESC i"): "_cut",
    cmd.key("ESC m"): "_cut",
    cmd.key("ESC v"): "_sensor_status",
    cmd.key("ESC *"): "_column_image",
    cmd.key("ESC FF"): "_flush",
    cmd.key("FS &"): "_chinese_on",
    cmd.key("FS ."): "_chinese_off",
    cmd.key("FS ( C"): "_encoding",
    cmd.key("GS !"): "_size",
    cmd.key("GS V"): "_cut",
    cmd.key("GS ( k"): "_symbol",
    cmd.key("GS ( L"): "_graphics",
    cmd.key("GS 8 L"): "_graphics",
    cmd.key("GS v 0"): "_raster",
    cmd.key("GS k"): "_barcode",
    cmd.key("GS h"): "_barcode_height_set",
    cmd.key("GS r"): "_sensor_status",
    cmd.key("GS I"): "_printer_id",
}


def _bits_to_image(width: int, row_bytes: int, height: int, bits: bytes) -> Image.Image:
    """Raster rows, `row_bytes` a row, 1 = ink, as a mode "1" picture (black = ink)."""
    if width <= 0 or height <= 0 or row_bytes <= 0:
        return Image.new("1", (max(width, 1), max(height, 1)), 1)
    data = bytes(b ^ 0xFF for b in bits[: row_bytes * height].ljust(row_bytes * height, b"\0"))
    picture = Image.frombytes("1", (row_bytes * 8, height), data)
    return picture.crop((0, 0, width, height)) if width < row_bytes * 8 else picture


def _raster_line(image: _Image) -> str:
    return f"[raster {image.picture.width}x{image.picture.height} -> {image.path.name}]"


def _printable(line: str) -> str:
    """A line of slip-N.txt: control characters (a QR payload's LF, a C1 control a code
    table decodes to) and line separators written as \\xNN or \\uNNNN, so one line
    of the file is one line of the slip."""

    def escaped(c: str) -> str:
        if unicodedata.category(c) not in ("Cc", "Zl", "Zp"):
            return c
        return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"

    return "".join(map(escaped, line))


def _width(text: str) -> int:
    return sum(1 if ord(c) < 0x80 else 2 for c in text)


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


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def _render(items: list[tuple[str, Any]], path: Path) -> None:
    """What the paper looks like: 576 dots wide (80 mm at 203 dpi)."""
    width, y = PAPER_DOTS, 8
    rows: list[tuple[str, Any, int]] = []
    for kind, item in items:
        height = {"text": 28, "qr": 200, "label": 40}.get(kind, 0)
        if kind == "text":
            height = 28 * item[1]
        elif kind == "raster":
            height = item.picture.height + 4
        rows.append((kind, item, height))
    image = Image.new("L", (width, sum(h for _, _, h in rows) + 16), 255)
    draw = ImageDraw.Draw(image)
    for kind, item, height in rows:
        if kind == "text":
            text, size = item
            draw.text((8, y), _shown(text), font=_font(22 * size), fill=0)
        elif kind == "qr":
            _draw_qr(draw, str(item), y, width)
        elif kind == "label":  # a barcode or a 2D code other than QR: its data, boxed
            draw.rectangle((8, y + 2, width - 8, y + height - 4), outline=0)
            draw.text((16, y + 8), _shown(str(item)[:60]), font=_font(20), fill=0)
        elif kind == "raster":
            image.paste(item.picture.convert("L"), (8, y))
        y += height
    image.save(path)


def _shown(text: str) -> str:
    """A control character (a C1 code a code table decodes to) breaks the text shaper."""
    return "".join("\ufffd" if unicodedata.category(c) == "Cc" else c for c in text)


def _draw_qr(draw: ImageDraw.ImageDraw, data: str, y: int, width: int) -> None:
    try:
        matrix = segno.make_qr(data, error="m", mask=0).matrix  # the picture only: no mask search
    except (ValueError, segno.DataOverflowError):  # empty or too long for a QR code
        draw.rectangle((width // 2 - 95, y, width // 2 + 95, y + 190), outline=0)
        draw.line((width // 2 - 95, y, width // 2 + 95, y + 190), fill=0)
        return
    scale = max(1, 190 // (len(matrix) + 4))
    left = (width - (len(matrix) + 4) * scale) // 2
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x0, y0 = left + (c + 2) * scale, y + (r + 2) * scale
                draw.rectangle((x0, y0, x0 + scale - 1, y0 + scale - 1), fill=0)
