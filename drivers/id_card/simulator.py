"""A simulated ID card reader with its SAM module, at the far end of a pty.

Its own frame code. A card is placed and removed through the API (or the `kiosk
sim` console); once read, the card is not found again until it has left the field.
Reading a card takes the SAM 0.5-1 s (the profile's `read_min_s`-`read_max_s`),
then its 1,295-byte answer about 0.11 s on the wire at 115,200 baud.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from drivers.simulator import FaultPlan, PtySimulator

HEAD = b"\xaa\xaa\xaa\x96\x69"
LAYOUT = (
    ("name", 15),
    ("sex", 1),
    ("nation", 2),
    ("birth_date", 8),
    ("address", 35),
    ("id_number", 18),
    ("authority", 15),
    ("valid_from", 8),
    ("valid_until", 8),
    ("reserved", 18),
)


# the simulated citizen the camera simulator shows (drivers/camera/citizen/): the
# card's holder, so that a face check on simulated devices compares like with like
CITIZEN_CARD_PHOTO = Path(__file__).resolve().parents[1] / "camera" / "citizen" / "card.jpg"


def default_photo() -> bytes:
    """The simulated citizen's 102x126 chip photo (it fits the 1024-byte slot); a
    grey gradient where that file is not shipped."""
    if CITIZEN_CARD_PHOTO.is_file():
        return CITIZEN_CARD_PHOTO.read_bytes()
    from PIL import Image

    image = Image.linear_gradient("L").resize((102, 126))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=20)
    return out.getvalue()


@dataclass
class CardProfile:
    card_present: bool = False
    card_type: str = "resident"  # resident, J, I
    citizen: dict[str, str] = field(
        default_factory=lambda: {
            "name": "钱多多",
            "sex": "1",
            "nation": "01",
            "birth_date": "19491231",
            "address": "北京市东城区景山前街4号",
            "id_number": "11010519491231002X",
            "authority": "北京市公安局东城分局",
            "valid_from": "20200101",
            "valid_until": "20400101",
        }
    )
    photo_jpeg: bytes = field(default_factory=default_photo)
    sam_ok: bool = True
    baudrate: int = 115200  # the reader's factory rate (the driver's default)
    # the SAM's own time to read the text and photo off a card (its decryption), drawn
    # anew for each read; the wire time of the answer comes on top
    read_min_s: float = 0.5
    read_max_s: float = 1.0


def _xor(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def reply(sw3: int, data: bytes = b"") -> bytes:
    body = b"\x00\x00" + bytes([sw3]) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return HEAD + length + body + bytes([_xor(length + body)])


def card_text(profile: CardProfile) -> bytes:
    values = dict(profile.citizen)
    # the type marker is character 124: the 15th of the reserved field
    values["reserved"] = " " * 14 + {"J": "J", "I": "I"}.get(profile.card_type, " ")
    text = "".join(values.get(name, "")[:size].ljust(size) for name, size in LAYOUT)
    return text.encode("utf-16-le")


class SamSimulator(PtySimulator):
    name = "id_card"
    profile_class = CardProfile

    def __init__(
        self,
        profile: CardProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        self.profile = profile or CardProfile()
        super().__init__(faults, folder, pacing=pacing)
        self._buffer = bytearray()
        self._read_since_placed = False
        self._pull_next_read = False
        self._two_cards = False
        self.reads = 0

    def line_rate(self) -> int:
        return self.profile.baudrate

    def place_card(self) -> None:
        self.profile.card_present, self._read_since_placed = True, False

    def remove_card(self) -> None:
        self.profile.card_present = False

    def device_fault(self, kind: str) -> None:
        if kind == "card_pulled":
            self._pull_next_read = True
        elif kind == "two_cards":
            self._two_cards = True

    def handle(self, data: bytes) -> bytes:
        self._buffer += data
        while True:
            start = self._buffer.find(HEAD)
            if start < 0:
                del self._buffer[:-4]  # keep a possible partial preamble
                return b""
            del self._buffer[:start]
            if len(self._buffer) < 7:
                return b""
            length = int.from_bytes(self._buffer[5:7], "big")
            if length < 3 or length > 64:
                del self._buffer[:5]
                self._answer(reply(0x11))  # length error
                continue
            if len(self._buffer) < 7 + length:
                return b""
            frame = bytes(self._buffer[: 7 + length])
            del self._buffer[: 7 + length]
            if _xor(frame[5:-1]) != frame[-1]:
                self._answer(reply(0x10))
                continue
            self._answer(self._command(frame[7], frame[8]))

    def _command(self, cmd: int, para: int) -> bytes:
        p = self.profile
        if (cmd, para) == (0x11, 0xFF):
            return reply(0x90 if p.sam_ok else 0x60)
        if (cmd, para) == (0x12, 0xFF):
            return reply(0x90, bytes.fromhex("0102030405060708090a0b0c0d0e0f10"))
        if (cmd, para) == (0x20, 0x01):
            found = p.card_present and not self._read_since_placed
            return reply(0x9F, b"\x00\x00\x00\x00") if found else reply(0x80)
        if (cmd, para) == (0x20, 0x02):
            if self._two_cards:
                self._two_cards = False
                return reply(0x81)
            return reply(0x90, bytes(8)) if p.card_present else reply(0x81)
        if (cmd, para) in ((0x30, 0x01), (0x30, 0x10)):
            if not p.card_present or self._pull_next_read:
                self._pull_next_read = False
                return reply(0x91)
            from drivers.id_card.photo import pad_slot

            self.busy(p.read_min_s, p.read_max_s)
            text = card_text(p)
            self._read_since_placed = True
            self.reads += 1
            return reply(
                0x90,
                (256).to_bytes(2, "big")
                + (1024).to_bytes(2, "big")
                + text
                + pad_slot(p.photo_jpeg),
            )
        return reply(0x21)
