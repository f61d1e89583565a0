"""The ESC/POS command set as a receipt printer reads it: how long each command is.

A printer that does not know how long a command is prints its parameters as text,
and a third-party driver tested against the simulator would see garbage on the
slip that a real printer never prints. So every command of the Epson ESC/POS
reference a receipt printer commonly takes is listed here with the rule for its
length, checked against python-escpos (tests/unit/drivers/test_escpos_third_party.py).

`next_token` cuts a byte stream into text runs and commands; it keeps no printer
state (the simulator does). A command not in the table is skipped by the rule
its family documents (`( x` commands carry pL pH) or else by one parameter byte,
and is reported as unknown. Pure Python: drivers/ stands alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

NUL, EOT, ENQ, HT, LF, VT, FF, CR = 0x00, 0x04, 0x05, 0x09, 0x0A, 0x0B, 0x0C, 0x0D
DLE, DC4, CAN, ESC, FS, GS, BEL = 0x10, 0x14, 0x18, 0x1B, 0x1C, 0x1D, 0x07
PREFIXES = frozenset({DLE, ESC, FS, GS})

# How many parameter bytes follow the command's code, read from the stream at
# index i (the first parameter); None while the bytes that tell are not there yet.
Params = Callable[[bytes, int], int | None]


def fixed(n: int) -> Params:
    return lambda b, i: n


def _u16(b: bytes, i: int) -> int | None:
    return b[i] + (b[i + 1] << 8) if i + 1 < len(b) else None


def _pl_ph(b: bytes, i: int) -> int | None:
    """`( x pL pH d1...dp`: the two length bytes count what follows them."""
    p = _u16(b, i)
    return None if p is None else 2 + p


def _graphics_32(b: bytes, i: int) -> int | None:
    """GS 8 L p1 p2 p3 p4 ...: GS ( L with a 32-bit length, for large images."""
    if i + 3 >= len(b):
        return None
    return 4 + int.from_bytes(b[i : i + 4], "little")


def _raster(b: bytes, i: int) -> int | None:
    """GS v 0 m xL xH yL yH d1...dk, k = x bytes a row times y rows."""
    if i + 4 >= len(b):
        return None
    x, y = b[i + 1] + (b[i + 2] << 8), b[i + 3] + (b[i + 4] << 8)
    return 5 + x * y


def _bit_image(b: bytes, i: int) -> int | None:
    """ESC * m nL nH d1...dk: a byte a column (8-dot modes) or three (24-dot)."""
    if i + 2 >= len(b):
        return None
    n = b[i + 1] + (b[i + 2] << 8)
    return 3 + (n if b[i] < 32 else 3 * n)


def _downloaded_image(b: bytes, i: int) -> int | None:
    """GS * x y d1...dk, k = x * y * 8."""
    if i + 1 >= len(b):
        return None
    return 2 + b[i] * b[i + 1] * 8


def _user_characters(b: bytes, i: int) -> int | None:
    """ESC & y c1 c2 [x d1...d(y*x)] for each character c1..c2."""
    if i + 2 >= len(b):
        return None
    y, count, j = b[i], max(0, b[i + 2] - b[i + 1] + 1), i + 3
    for _ in range(count):
        if j >= len(b):
            return None
        j += 1 + y * b[j]
    return j - i


def _nv_images(b: bytes, i: int) -> int | None:
    """FS q n [xL xH yL yH d1...dk]1..n, k = x * y * 8."""
    if i >= len(b):
        return None
    j = i + 1
    for _ in range(b[i]):
        if j + 3 >= len(b):
            return None
        x, y = b[j] + (b[j + 1] << 8), b[j + 2] + (b[j + 3] << 8)
        j += 4 + x * y * 8
    return j - i


def _nul_terminated(limit: int) -> Params:
    """Data up to a NUL; after `limit` bytes without one the command is over (a
    real printer caps these too, so a lost NUL cannot swallow the rest of a job)."""

    def length(b: bytes, i: int) -> int | None:
        for j in range(i, min(len(b), i + limit + 1)):
            if b[j] == NUL:
                return j - i + 1
        return None if len(b) < i + limit + 1 else limit

    return length


def _tabs(b: bytes, i: int) -> int | None:
    """ESC D n1...nk NUL, k <= 32: more than 32 positions end the command."""
    return _nul_terminated(32)(b, i)


def _barcode(b: bytes, i: int) -> int | None:
    """GS k m d1...dk NUL (m 0-6) or GS k m n d1...dn (m 65 and up)."""
    if i >= len(b):
        return None
    m = b[i]
    if m <= 6:
        rest = _nul_terminated(255)(b, i + 1)
        return None if rest is None else 1 + rest
    if m >= 65:
        return None if i + 1 >= len(b) else 2 + b[i + 1]
    return 1


def _cut(b: bytes, i: int) -> int | None:
    """GS V m, or GS V m n for the forms that feed before cutting."""
    if i >= len(b):
        return None
    return 2 if b[i] in (65, 66, 97, 98, 103, 104) else 1


def _real_time_status(b: bytes, i: int) -> int | None:
    """DLE EOT n; n = 7, 8 and 18 take one more byte."""
    if i >= len(b):
        return None
    return 2 if b[i] in (7, 8, 18) else 1


def _nv_write(b: bytes, i: int) -> int | None:
    """FS g 1 m a1 a2 a3 a4 nL nH d1...dk."""
    n = _u16(b, i + 5)
    return None if n is None else 7 + n


@dataclass(frozen=True)
class Spec:
    params: Params
    summary: str


def key(text: str) -> bytes:
    """A command's code bytes, written as the reference writes them: "GS ( k" is
    b"\\x1d(k"; "#8" is the byte 8 (DLE DC4 #8)."""
    names = {"ESC": ESC, "FS": FS, "GS": GS, "DLE": DLE, "EOT": EOT, "ENQ": ENQ}
    names |= {"DC4": DC4, "FF": FF, "SP": 0x20}
    out = bytearray()
    for part in text.split():
        if part in names:
            out.append(names[part])
        elif part.startswith("#"):  # a binary function number, DLE DC4 #8
            out.append(int(part[1:]))
        else:
            out += part.encode("ascii")
    return bytes(out)


_ONE, _TWO, _NONE = fixed(1), fixed(2), fixed(0)

# Every command with its length rule. Keys of three bytes are the functions of a
# family whose third byte says which (ESC c 3, GS ( k, DLE DC4 #1).
_TABLE: list[tuple[str, Params, str]] = [
    # real-time commands: executed on arrival, even inside a job
    ("DLE EOT", _real_time_status, "transmit real-time status"),
    ("DLE ENQ", _ONE, "real-time request to the printer (recover, clear)"),
    ("DLE DC4 #1", _TWO, "generate a drawer pulse in real time (m t)"),
    ("DLE DC4 #2", _TWO, "execute power-off sequence (a b)"),
    ("DLE DC4 #3", fixed(5), "sound buzzer in real time (a n r t1 t2)"),
    ("DLE DC4 #7", _ONE, "transmit specified status in real time"),
    ("DLE DC4 #8", fixed(7), "clear buffers (d1...d7)"),
    # ESC: print mode, position, feed, images, code tables
    ("ESC FF", _NONE, "print data in page mode"),
    ("ESC SP", _ONE, "right-side character spacing"),
    ("ESC !", _ONE, "select print modes (font, bold, double size, underline)"),
    ("ESC $", _TWO, "absolute print position"),
    ("ESC %", _ONE, "select/cancel user-defined characters"),
    ("ESC &", _user_characters, "define user-defined characters"),
    ("ESC ( A", _pl_ph, "beeper"),
    ("ESC ( Y", _pl_ph, "specify batch print"),
    ("ESC *", _bit_image, "bit image, column format"),
    ("ESC +", _ONE, "line spacing n/360 inch (not Epson; python-escpos sends it)"),
    ("ESC -", _ONE, "underline"),
    ("ESC 2", _NONE, "default line spacing"),
    ("ESC 3", _ONE, "line spacing"),
    ("ESC <", _NONE, "return home"),
    ("ESC =", _ONE, "select peripheral device (printer or customer display)"),
    ("ESC ?", _ONE, "cancel user-defined characters"),
    ("ESC @", _NONE, "initialise the printer"),
    ("ESC A", _ONE, "line spacing n/60 inch (not Epson; python-escpos sends it)"),
    ("ESC B", _TWO, "buzzer n times t (Chinese printers; python-escpos sends it)"),
    ("ESC D", _tabs, "horizontal tab positions"),
    ("ESC E", _ONE, "emphasised (bold)"),
    ("ESC G", _ONE, "double-strike"),
    ("ESC J", _ONE, "print and feed n dots"),
    ("ESC K", _ONE, "print and reverse feed (slip eject in python-escpos)"),
    ("ESC L", _NONE, "select page mode"),
    ("ESC M", _ONE, "character font"),
    ("ESC R", _ONE, "international character set"),
    ("ESC S", _NONE, "select standard mode"),
    ("ESC T", _ONE, "print direction in page mode"),
    ("ESC U", _ONE, "unidirectional printing"),
    ("ESC V", _ONE, "90 degree rotation"),
    ("ESC W", fixed(8), "print area in page mode"),
    ("ESC \\", _TWO, "relative print position"),
    ("ESC a", _ONE, "justification"),
    ("ESC c 0", _ONE, "paper type for printing (slip or roll)"),
    ("ESC c 1", _ONE, "paper type for command settings"),
    ("ESC c 3", _ONE, "paper sensors for paper-end signals"),
    ("ESC c 4", _ONE, "paper sensors that stop printing"),
    ("ESC c 5", _ONE, "enable/disable panel buttons"),
    ("ESC d", _ONE, "print and feed n lines"),
    ("ESC e", _ONE, "print and reverse feed n lines"),
    ("ESC f", _TWO, "slip insertion wait time"),
    ("ESC i", _NONE, "partial cut, one point left (obsolete)"),
    ("ESC m", _NONE, "partial cut, three points left (obsolete)"),
    ("ESC p", fixed(3), "drawer kick pulse (m t1 t2)"),
    ("ESC r", _ONE, "print colour"),
    ("ESC t", _ONE, "character code table"),
    ("ESC u", _ONE, "transmit peripheral device status"),
    ("ESC v", _NONE, "transmit paper sensor status"),
    ("ESC {", _ONE, "upside-down printing"),
    # FS: Chinese (Kanji) character mode and NV images
    ("FS !", _ONE, "print modes of Chinese characters"),
    ("FS &", _NONE, "Chinese character mode on (GB18030 text)"),
    ("FS ( A", _pl_ph, "Chinese character style"),
    ("FS ( C", _pl_ph, "character encoding (fn 48: 1-byte codes or UTF-8)"),
    ("FS ( E", _pl_ph, "receipt enhancement"),
    ("FS ( L", _pl_ph, "label and black mark paper"),
    ("FS ( e", _pl_ph, "automatic status back for receipt enhancement"),
    ("FS -", _ONE, "underline of Chinese characters"),
    ("FS .", _NONE, "Chinese character mode off (code table text)"),
    ("FS 2", fixed(74), "define a user-defined Chinese character (c1 c2 + 72 bytes)"),
    ("FS ?", _TWO, "cancel a user-defined Chinese character"),
    ("FS C", _ONE, "Chinese character code system"),
    ("FS S", _TWO, "Chinese character spacing"),
    ("FS W", _ONE, "quadruple-size Chinese characters"),
    ("FS g 1", _nv_write, "write to NV user memory"),
    ("FS g 2", fixed(7), "read NV user memory"),
    ("FS p", _TWO, "print NV bit image"),
    ("FS q", _nv_images, "define NV bit images"),
    # GS: sizes, barcodes, 2D codes, raster images, cuts, status
    ("GS !", _ONE, "character size"),
    ("GS $", _TWO, "absolute vertical position in page mode"),
    ("GS ( A", _pl_ph, "test print"),
    ("GS ( C", _pl_ph, "edit NV user memory"),
    ("GS ( D", _pl_ph, "enable/disable real-time commands"),
    ("GS ( E", _pl_ph, "user setup commands"),
    ("GS ( H", _pl_ph, "request transmission of response"),
    ("GS ( K", _pl_ph, "print control method"),
    ("GS ( L", _pl_ph, "graphics (store, print, NV and download graphics)"),
    ("GS ( M", _pl_ph, "customise printer control values"),
    ("GS ( N", _pl_ph, "character effects"),
    ("GS ( P", _pl_ph, "page mode control"),
    ("GS ( Q", _pl_ph, "graphic lines and boxes"),
    ("GS ( k", _pl_ph, "2D codes: QR, PDF417, MaxiCode, DataMatrix, Aztec"),
    ("GS ( z", _pl_ph, "paper layout"),
    ("GS *", _downloaded_image, "define downloaded bit image"),
    ("GS /", _ONE, "print downloaded bit image"),
    ("GS :", _NONE, "start/end macro definition"),
    ("GS 8 L", _graphics_32, "graphics with a 32-bit length"),
    ("GS B", _ONE, "white/black reverse printing"),
    ("GS C 0", _TWO, "counter print mode"),
    ("GS C 1", fixed(6), "counter mode A"),
    ("GS C 2", _TWO, "counter value"),
    ("GS E", _ONE, "print head control"),
    ("GS H", _ONE, "barcode HRI position"),
    ("GS I", _ONE, "transmit printer ID"),
    ("GS L", _TWO, "left margin"),
    ("GS P", _TWO, "horizontal and vertical motion units"),
    ("GS T", _ONE, "print position to the beginning of the line"),
    ("GS V", _cut, "cut (m, or m n to feed first)"),
    ("GS W", _TWO, "print area width"),
    ("GS \\", _TWO, "relative vertical position in page mode"),
    ("GS ^", fixed(3), "execute macro"),
    ("GS a", _ONE, "enable/disable automatic status back"),
    ("GS b", _ONE, "smoothing"),
    ("GS c", _NONE, "print counter"),
    ("GS f", _ONE, "barcode HRI font"),
    ("GS g 0", fixed(3), "initialise maintenance counter"),
    ("GS g 2", fixed(3), "transmit maintenance counter"),
    ("GS h", _ONE, "barcode height"),
    ("GS j", _ONE, "enable/disable automatic status back for ink"),
    ("GS k", _barcode, "print barcode (NUL-terminated or counted form)"),
    ("GS r", _ONE, "transmit status (paper sensor, drawer)"),
    ("GS v 0", _raster, "raster bit image"),
    ("GS w", _ONE, "barcode module width"),
    ("GS z 0", _TWO, "online recovery wait time"),
    ("GS |", _ONE, "print density (not Epson; python-escpos sends it)"),
]

COMMANDS: dict[bytes, Spec] = {key(k): Spec(p, s) for k, p, s in _TABLE}
NAMES: dict[bytes, str] = {key(k): k.replace("#", "") for k, _, _ in _TABLE}

# Two-byte codes whose third byte picks the function, and the documented rule that
# skips a function this table lacks (None: no rule, one parameter byte).
FAMILIES: dict[bytes, Params | None] = {
    key("ESC ("): _pl_ph,
    key("FS ("): _pl_ph,
    key("GS ("): _pl_ph,
    key("ESC c"): _ONE,
    key("DLE DC4"): None,
    key("FS g"): None,
    key("GS C"): None,
    key("GS g"): None,
    key("GS 8"): None,
    key("GS v"): None,
    key("GS z"): None,
}

# Single control bytes: what a printer does with each (the rest are not commands).
CONTROLS = {
    LF: "LF",  # print the line and feed
    CR: "CR",  # ignored with automatic line feed off (the default)
    HT: "HT",  # next tab position
    FF: "FF",  # print and eject (page mode, slip)
    CAN: "CAN",  # cancel page-mode data
    NUL: "NUL",  # padding: ignored
    BEL: "BEL",  # beep on some printers (python-escpos's BEEP)
    VT: "VT",  # python-escpos sends it; receipt printers ignore it
}

Kind = Literal["text", "command", "unknown", "incomplete"]


@dataclass(frozen=True)
class Token:
    """A text run (bytes 0x20 and up), a command, or an unknown command skipped.

    `code` is how many leading bytes name the command (b"\\x1d(k" for GS ( k); the
    rest of `data` are its parameters."""

    kind: Kind
    name: str
    data: bytes
    code: int = 0

    @property
    def key(self) -> bytes:
        return self.data[: self.code]

    @property
    def params(self) -> bytes:
        return self.data[self.code :]


def next_token(buf: bytes, pos: int = 0, final: bool = False) -> Token | None:
    """The token that starts at `pos`, or None when more bytes are needed.

    A text run is only whole once a control byte ends it (a GB18030 character may
    be split between reads), so a run reaching the end of `buf` waits too, unless
    `final` (then an unfinished command comes back as "incomplete")."""
    token = _next(buf, pos)
    if token is None and final and pos < len(buf):
        rest = buf[pos:]
        if rest[0] >= 0x20:
            return Token("text", "", rest)
        return Token("incomplete", _name(rest[:3]), rest)
    return token


def tokens(data: bytes) -> Iterator[Token]:
    """Every token of a whole stream (tests and tools; the simulator goes one by one)."""
    pos = 0
    while pos < len(data):
        token = next_token(data, pos, final=True)
        assert token is not None
        yield token
        pos += len(token.data)


def _next(b: bytes, pos: int) -> Token | None:
    first = b[pos]
    if first >= 0x20:
        end = pos
        while end < len(b) and b[end] >= 0x20:
            end += 1
        return None if end == len(b) else Token("text", "", b[pos:end])
    if first in CONTROLS:
        return Token("command", CONTROLS[first], b[pos : pos + 1], 1)
    if first not in PREFIXES:
        return Token("unknown", f"{first:#04x}", b[pos : pos + 1], 1)
    if pos + 1 >= len(b):
        return None
    second = b[pos + 1]
    if first == DLE and second not in (EOT, ENQ, DC4):
        return Token("unknown", "DLE", b[pos : pos + 1], 1)  # a stray DLE
    if first != DLE and second < 0x20 and second != FF:
        # ESC, FS and GS codes are printable; a control byte here starts the next
        # thing, so only the prefix is skipped
        return Token("unknown", _name(b[pos : pos + 1]), b[pos : pos + 1], 1)
    key = b[pos : pos + 2]
    family = key in FAMILIES
    if family:
        if pos + 2 >= len(b):
            return None
        if b[pos : pos + 3] in COMMANDS:
            key = b[pos : pos + 3]
    spec = COMMANDS.get(key)
    if spec is not None:
        return _measured(b, pos, key, spec.params, "command")
    if family and (rule := FAMILIES[key]) is not None:  # documented shape, function unknown
        return _measured(b, pos, b[pos : pos + 3], rule, "unknown")
    # Conservative: one parameter byte, unless that byte starts the next command.
    if pos + 2 >= len(b):
        return None
    if family:
        key = b[pos : pos + 3]
    end = pos + len(key)
    if end < len(b) and b[end] not in PREFIXES:
        end += 1
    elif end >= len(b):
        return None
    return Token("unknown", _name(key), b[pos:end], len(key))


def _measured(b: bytes, pos: int, key: bytes, params: Params, kind: Kind) -> Token | None:
    start = pos + len(key)
    count = params(b, start)
    if count is None or start + count > len(b):
        return None
    return Token(kind, NAMES.get(key) or _name(key), b[pos : start + count], len(key))


_BYTE_NAMES = {ESC: "ESC", FS: "FS", GS: "GS", DLE: "DLE", EOT: "EOT", ENQ: "ENQ", DC4: "DC4"}


def _name(key: bytes) -> str:
    """b"\\x1b\\x7f" -> "ESC 0x7f": how the reference would write an unknown code."""
    parts = []
    for i, byte in enumerate(key):
        if i == 0 or (key[0] == DLE and i == 1):
            parts.append(_BYTE_NAMES.get(byte, f"{byte:#04x}"))
        elif 0x20 < byte < 0x7F:
            parts.append(chr(byte))
        else:
            parts.append(f"{byte:#04x}")
    return " ".join(parts)


# --- reference data the printer's interpretation needs --------------------------

# ESC t n: the character code tables of the Epson reference that Python can decode
# (n = 1 is half-width katakana: JIS X 0201's upper half, decoded byte by byte).
CODE_PAGES: dict[int, str] = {
    0: "cp437",
    1: "katakana",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    13: "cp857",
    14: "cp737",
    15: "iso8859_7",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
    21: "cp874",
    32: "cp720",
    33: "cp775",
    34: "cp855",
    35: "cp861",
    36: "cp862",
    37: "cp864",
    38: "cp869",
    39: "iso8859_2",
    40: "iso8859_15",
    44: "cp1125",
    45: "cp1250",
    46: "cp1251",
    47: "cp1253",
    48: "cp1254",
    49: "cp1255",
    50: "cp1256",
    51: "cp1257",
    52: "cp1258",
}

# GS k m: the symbologies, in both numberings (m 0-6 NUL-terminated, 65-78 counted).
BARCODES: dict[int, str] = dict(
    enumerate(["UPC-A", "UPC-E", "EAN13", "EAN8", "CODE39", "ITF", "CODABAR"])
) | {
    65 + i: name
    for i, name in enumerate(
        [
            "UPC-A",
            "UPC-E",
            "EAN13",
            "EAN8",
            "CODE39",
            "ITF",
            "CODABAR",
            "CODE93",
            "CODE128",
            "GS1-128",
            "GS1 DATABAR OMNIDIRECTIONAL",
            "GS1 DATABAR TRUNCATED",
            "GS1 DATABAR LIMITED",
            "GS1 DATABAR EXPANDED",
        ]
    )
}

# GS ( k cn: the 2D symbologies, named as the slip's text shows them.
SYMBOLS = {48: "pdf417", 49: "qr", 50: "maxicode", 51: "databar", 52: "composite"}
SYMBOLS |= {53: "aztec", 54: "datamatrix"}
