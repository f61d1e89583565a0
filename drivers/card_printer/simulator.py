"""A simulated rewritable card printer (the card unit's thermal-rewrite module) at the far
end of a pty: the strip of each card it has seen, the head's temperature, the module's
faults, and the card back rendered as PNG.

Its own codec (not the driver's): the card transport simulator's frame (STX F2, address, a
two-byte length of the bytes from the command type to the end of the data, 'C' CM PM
data, ETX 03, BCC the XOR of STX through ETX; ACK then 'P' CM PM ST0 ST1 ST2 data or 'N'
CM PM E1 E0; a bad BCC gets NAK alone), and the module's commands as
drivers/card_printer/frames.py lists them, with its own CRC-16/CCITT-FALSE and CRC-32
written out bit by bit.

A card is put under the head with `place_card(card)` (in `--sim`, by the transport
when it moves the card to its read/write position) and leaves with `remove_card()`;
each card keeps its strip, and a card seen for the first time carries an earlier
endorsement. After every erase and print the card's back is saved as
`card-back-N.png` in the folder (`card_png()` gives it as bytes, `save_png(path)`
writes it): the card at the module's dots per mm, its background grey, the strip
white with the dark dots black.

Faults: `head_error` (the head fails: erases and prints are refused until a reset),
`not_erased` (the next erase does not take: the strip keeps its image, and a print on
it is refused), `corrupt_chunk` (two bits of the next image chunk flip in one bit
column on the way in: the frame's XOR cannot see it, the chunk's CRC-16 does), and
the wire faults every serial simulator has.
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from drivers.card_transport.simulator import CrtSimulator
from drivers.simulator import FaultPlan

CARD_MM = (85.6, 54.0)  # ID-1, the permit's size
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _crc32(data: bytes) -> int:
    """CRC-32 (IEEE 802.3): reflected poly 0xEDB88320, init and final XOR 0xFFFFFFFF."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


@dataclass
class CardPrinterProfile:
    model: str = "TRW-SIM"
    firmware: str = "TRW-V1.04"
    serial: str = "SIM0591001"
    address: int = 0
    baudrate: int = 115200
    # the rewritable strip: its dots, and where it lies on the card's back (mm)
    width: int = 576
    height: int = 192
    dpi: int = 203
    strip_x_mm: float = 6.8
    strip_y_mm: float = 24.0
    readback: bool = True  # a module with a read head (contact image sensor) over the strip
    # the head: it warms with each pass and cools between; over the limit it waits
    head_c: float = 32.0
    ambient_c: float = 30.0
    limit_c: float = 60.0
    heat_per_pass_c: float = 5.0
    cool_c_per_s: float = 4.0
    # the head's pass over the strip
    erase_s: float = 0.3
    print_s: float = 0.4


class TrwPrinterSimulator(CrtSimulator):
    name = "card_printer"
    profile_class = CardPrinterProfile
    device_faults = frozenset({"head_error", "not_erased", "corrupt_chunk"})

    def __init__(
        self,
        profile: CardPrinterProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        self.profile = profile or CardPrinterProfile()
        super().__init__(faults, folder, pacing=pacing)
        self.card: str | None = None  # the card under the head
        self.last_card: str | None = None  # the one there before, for `save` afterwards
        self.strips: dict[str, bytearray] = {}  # each card's strip, as the module's raster
        self.erased: dict[str, bool] = {}
        self.head_error = False
        self.erases = self.prints = 0
        self.refused_chunks = 0
        self.saved: list[Path] = []  # card-back-N.png, one after each erase and print
        self._heat_c, self._heat_at = self.profile.head_c, time.monotonic()
        self._armed: set[str] = set()
        self._image: bytearray | None = None  # an image being received
        self._received: bytearray | None = None  # which of its bytes came
        self._state = threading.RLock()

    def line_rate(self) -> int:
        return self.profile.baudrate

    @property
    def output_folder(self) -> Path:
        return self.folder

    # --- the card ---------------------------------------------------------------------

    def place_card(self, card: str = "card") -> None:
        """A card under the head; one seen for the first time bears an old endorsement."""
        with self._state:
            self.card = card
            if card not in self.strips:
                self.strips[card] = self._old_endorsement()
                self.erased[card] = False

    def remove_card(self) -> None:
        with self._state:
            self.last_card, self.card = self.card or self.last_card, None

    def strip(self, card: str | None = None) -> bytes:
        """The raster a card's strip holds: by default the card under the head, else the
        last one that was there; blank when the module has seen no card."""
        with self._state:
            card = card or self.card or self.last_card
            if card is None:
                return bytes((self.profile.width + 7) // 8 * self.profile.height)
            return bytes(self.strips[card])

    def card_png(self, card: str | None = None) -> bytes:
        """The card's back: the card at the module's resolution, its strip on it."""
        profile = self.profile
        per_mm = profile.dpi / 25.4
        back = Image.new("L", (round(CARD_MM[0] * per_mm), round(CARD_MM[1] * per_mm)), 222)
        ImageDraw.Draw(back).rectangle((0, 0, back.width - 1, back.height - 1), outline=160)
        strip = Image.frombytes("1", (profile.width, profile.height), self.strip(card))
        # mode 1 stores 1 for white: the module's dark dots are its 1 bits, so invert
        inked = Image.eval(strip.convert("L"), lambda v: 255 - v)
        back.paste(inked, (round(profile.strip_x_mm * per_mm), round(profile.strip_y_mm * per_mm)))
        out = io.BytesIO()
        back.save(out, "PNG")
        return out.getvalue()

    def save_png(self, path: Path | str, card: str | None = None) -> Path:
        target = Path(path)
        target.write_bytes(self.card_png(card))
        return target

    def device_fault(self, kind: str) -> None:
        with self._state:
            if kind == "head_error":
                self.head_error = True
            else:
                self._armed.add(kind)

    # --- the module -------------------------------------------------------------------

    def _execute(self, cm: int, pm: int, data: bytes) -> tuple[int, str, bytes]:
        with self._state:
            if (cm, pm) == (0x30, 0x30):  # initialise: a reset clears the head's error
                self.head_error, self._image = False, None
                return self._yes(self.profile.firmware.encode())
            if (cm, pm) == (0x31, 0x30):
                return self._yes(f"{min(999, round(self._temperature())):03d}".encode())
            if (cm, pm) == (0x50, 0x30):
                p = self.profile
                area = f"{p.width:04d}{p.height:04d}{p.dpi:03d}{int(p.readback)}"
                return self._yes(area.encode())
            if (cm, pm) == (0x51, 0x30):
                return self._erase()
            if cm == 0x52 and pm == 0x30:
                return self._begin(data)
            if cm == 0x52 and pm == 0x31:
                return self._chunk(data)
            if cm == 0x52 and pm == 0x32:
                return self._print(data)
            if (cm, pm) == (0x53, 0x30):
                return self._read_back(data)
            if (cm, pm) == (0xA2, 0x30):
                return self._yes(self.profile.serial.encode())
            return self._no("00")

    def _ready_to_heat(self) -> str | None:
        """Why the head cannot pass over the strip now, as E1E0; None: it can."""
        if self.card is None:
            return "20"
        if self.head_error:
            return "30"
        if self._temperature() > self.profile.limit_c:
            return "31"
        return None

    def _erase(self) -> tuple[int, str, bytes]:
        refused = self._ready_to_heat()
        if refused:
            return self._no(refused)
        self._pass(self.profile.erase_s)
        card = self.card or ""
        if "not_erased" in self._armed:  # the erase temperature was not reached
            self._armed.discard("not_erased")
        else:
            self.strips[card] = bytearray(len(self.strips[card]))
            self.erased[card] = True
        self.erases += 1
        self._save()
        return self._yes(b"")

    def _begin(self, data: bytes) -> tuple[int, str, bytes]:
        if len(data) != 4:
            return self._no("01")
        width, height = int.from_bytes(data[:2], "big"), int.from_bytes(data[2:], "big")
        if (width, height) != (self.profile.width, self.profile.height):
            return self._no("01")
        size = (width + 7) // 8 * height
        self._image, self._received = bytearray(size), bytearray(size)
        return self._yes(b"")

    def _chunk(self, data: bytes) -> tuple[int, str, bytes]:
        if self._image is None or self._received is None:
            return self._no("02")
        if len(data) < 7:
            return self._no("01")
        if "corrupt_chunk" in self._armed and len(data) >= 8:
            self._armed.discard("corrupt_chunk")
            bent = bytearray(data)  # one bit column, two bytes: the frame's XOR is blind
            bent[4] ^= 0x10
            bent[5] ^= 0x10
            data = bytes(bent)
        body, crc = data[:-2], int.from_bytes(data[-2:], "big")
        if _crc16(body) != crc:
            self.refused_chunks += 1
            return self._no("C1")
        offset, payload = int.from_bytes(body[:4], "big"), body[4:]
        if offset + len(payload) > len(self._image):
            return self._no("01")
        self._image[offset : offset + len(payload)] = payload
        self._received[offset : offset + len(payload)] = b"\x01" * len(payload)
        return self._yes(b"")

    def _print(self, data: bytes) -> tuple[int, str, bytes]:
        image, received = self._image, self._received
        if image is None or received is None:
            return self._no("02")
        if len(data) != 4 or 0 in received or _crc32(bytes(image)) != int.from_bytes(data, "big"):
            self._image = self._received = None
            return self._no("C2")
        refused = self._ready_to_heat()
        if refused:
            return self._no(refused)
        card = self.card or ""
        if not self.erased[card]:
            return self._no("40")
        self._pass(self.profile.print_s)
        self.strips[card] = bytearray(image)
        self.erased[card] = False
        self._image = self._received = None
        self.prints += 1
        self._save()
        return self._yes(b"")

    def _read_back(self, data: bytes) -> tuple[int, str, bytes]:
        if not self.profile.readback:
            return self._no("B0")
        if self.card is None:
            return self._no("20")
        if len(data) != 6:
            return self._no("01")
        offset, size = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:], "big")
        strip = self.strips[self.card]
        if size == 0 or size > 1024 or offset + size > len(strip):
            return self._no("01")
        body = data[:4] + bytes(strip[offset : offset + size])
        return self._yes(body[4:] + _crc16(body).to_bytes(2, "big"))

    # --- the head -------------------------------------------------------------------

    def _temperature(self) -> float:
        cooled = self._heat_c - self.profile.cool_c_per_s * (time.monotonic() - self._heat_at)
        return max(self.profile.ambient_c, cooled)

    def _pass(self, seconds: float) -> None:
        self.busy(seconds)
        self._heat_c, self._heat_at = (
            self._temperature() + self.profile.heat_per_pass_c,
            time.monotonic(),
        )

    def _status(self) -> str:
        if self.card is None:
            st0 = "0"
        else:
            st0 = "2" if self.erased[self.card] else "1"
        hot = self._temperature() > self.profile.limit_c
        st1 = "2" if self.head_error else "1" if hot else "0"
        st2 = "1" if self._image is not None else "0"
        return st0 + st1 + st2

    def _yes(self, payload: bytes) -> tuple[int, str, bytes]:
        return ord("P"), self._status(), payload

    def _no(self, code: str) -> tuple[int, str, bytes]:
        return ord("N"), code, b""

    def _save(self) -> None:
        if self.card is not None:
            path = self.folder / f"card-back-{len(self.saved) + 1}.png"
            self.saved.append(self.save_png(path))

    def _old_endorsement(self) -> bytearray:
        """An earlier endorsement on a card's strip, as a print of the module left it."""
        width, height = self.profile.width, self.profile.height
        image = Image.new("1", (width, height), 0)
        draw = ImageDraw.Draw(image)
        size = max(8, height // 6)
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont
        try:
            font = ImageFont.truetype(str(FONT), size)
        except OSError:  # no CJK face on this machine: the default one, Latin only
            font = ImageFont.load_default()
        for row, text in enumerate(("赴港 团队旅游（L）", "有效期至 2019.05.01", "一次")):
            draw.text((size // 2, size // 2 + row * size * 3 // 2), text, font=font, fill=1)
        # mode 1 with 1 = ink, as the module's own raster: high bit leftmost, rows padded
        return bytearray(image.tobytes())
