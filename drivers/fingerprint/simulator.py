"""A simulated R30x fingerprint module at the far end of a pty, answering the whole
instruction set of the specs, so that host tools written for the real module work.

A finger is put on and lifted through the API (or the `kiosk sim` console). The
module has no quality register; a finger of poor quality makes Img2Tz answer 06.
A template's first 16 bytes name the finger it came from, so Match and Search
work on templates the host downloads too.

The module talks at `baud_code` x 9,600 baud (57,600 from the factory; SetSysPara 4
is acknowledged at the old rate, then the module switches). Taking an image of a
finger (GenImg) takes the sensor `image_min_s`-`image_max_s`; with no finger on the
glass it answers at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from drivers.simulator import FaultPlan, PtySimulator

HEADER = b"\xef\x01"
PACKET_SIZES = {0: 32, 1: 64, 2: 128, 3: 256}
TEMPLATE_BYTES = 512


def _sum16(*parts: bytes) -> bytes:
    return (sum(sum(p) for p in parts) & 0xFFFF).to_bytes(2, "big")


def template_of(finger: str) -> bytes:
    head = hashlib.sha256(finger.encode()).digest()[:16]
    return head + bytes((i * 7) & 0xFF for i in range(TEMPLATE_BYTES - 16))


@dataclass
class FingerProfile:
    finger: str | None = None  # the finger on the glass now
    quality: int = 80  # 0-100; under 40 the image is too poor to use
    password: int = 0
    address: bytes = b"\xff\xff\xff\xff"
    capacity: int = 1000
    security_level: int = 3
    packet_size_code: int = 2  # 128 bytes
    baud_code: int = 6  # x 9600 = 57600
    library: dict[int, bytes] = field(default_factory=dict)
    # the sensor's time to take an image of a finger (GenImg), drawn anew each time
    image_min_s: float = 0.3
    image_max_s: float = 0.6


class R30xSimulator(PtySimulator):
    name = "fingerprint"
    profile_class = FingerProfile

    def __init__(
        self,
        profile: FingerProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        self.profile = profile or FingerProfile()
        super().__init__(faults, folder, pacing=pacing)
        self.image: tuple[str, int] | None = None
        self.buffers: dict[int, bytes] = {}
        self._buffer = bytearray()
        self._download: tuple[int, bytearray] | None = None  # DownChar in progress

    def line_rate(self) -> int:
        return max(1, self.profile.baud_code) * 9600  # a code of 0 is no rate: the slowest

    def put_finger(self, finger: str, quality: int = 80) -> None:
        self.profile.finger, self.profile.quality = finger, quality

    def lift_finger(self) -> None:
        self.profile.finger = None

    # --- the wire ------------------------------------------------------------------

    def handle(self, data: bytes) -> bytes:
        self._buffer += data
        while True:
            start = self._buffer.find(HEADER)
            if start < 0:
                del self._buffer[:-1]
                return b""
            del self._buffer[:start]
            if len(self._buffer) < 9:
                return b""
            size = int.from_bytes(self._buffer[7:9], "big")
            if len(self._buffer) < 9 + size:
                return b""
            raw = bytes(self._buffer[: 9 + size])
            del self._buffer[: 9 + size]
            pid, length, payload = raw[6], raw[7:9], raw[9:-2]
            if size < 2 or _sum16(bytes([pid]), length, payload) != raw[-2:]:
                self._ack(0x01)  # receive error
                continue
            if pid in (0x02, 0x08) and self._download is not None:
                self._download[1].extend(payload)
                if pid == 0x08:
                    buffer, data_ = self._download
                    self.buffers[buffer] = bytes(data_[:TEMPLATE_BYTES])
                    self._download = None
            elif pid == 0x01 and payload:
                self._instruction(payload[0], payload[1:])

    def _packet(self, pid: int, payload: bytes) -> bytes:
        length = (len(payload) + 2).to_bytes(2, "big")
        return (
            HEADER
            + self.profile.address
            + bytes([pid])
            + length
            + payload
            + _sum16(bytes([pid]), length, payload)
        )

    def _ack(self, code: int, data: bytes = b"") -> None:
        self._answer(self._packet(0x07, bytes([code]) + data))

    def _data(self, data: bytes) -> None:
        size = PACKET_SIZES[self.profile.packet_size_code]
        chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        for i, chunk in enumerate(chunks):
            self.send(self._packet(0x08 if i == len(chunks) - 1 else 0x02, chunk))

    def _instruction(self, code: int, p: bytes) -> None:
        prof = self.profile
        if code == 0x01:  # GenImg
            if prof.finger is None:
                self._ack(0x02)
            else:
                self.busy(prof.image_min_s, prof.image_max_s)
                self.image = (prof.finger, prof.quality)
                self._ack(0x00)
        elif code == 0x02:  # Img2Tz
            if self.image is None:
                self._ack(0x15)
            elif self.image[1] < 40:
                self._ack(0x06)
            else:
                self.buffers[p[0] if p else 1] = template_of(self.image[0])
                self._ack(0x00)
        elif code == 0x03:  # Match
            same = self.buffers.get(1, b"x")[:16] == self.buffers.get(2, b"y")[:16]
            self._ack(0x00 if same else 0x08, (180 if same else 0).to_bytes(2, "big"))
        elif code == 0x04:  # Search
            wanted = self.buffers.get(p[0], b"")[:16]
            start, count = int.from_bytes(p[1:3], "big"), int.from_bytes(p[3:5], "big")
            for page in sorted(prof.library):
                if start <= page < start + count and prof.library[page][:16] == wanted:
                    self._ack(0x00, page.to_bytes(2, "big") + (160).to_bytes(2, "big"))
                    return
            self._ack(0x09, bytes(4))
        elif code == 0x05:  # RegModel
            same = self.buffers.get(1, b"x")[:16] == self.buffers.get(2, b"y")[:16]
            self._ack(0x00 if same else 0x0A)
        elif code == 0x06:  # Store
            page = int.from_bytes(p[1:3], "big")
            if page >= prof.capacity or p[0] not in self.buffers:
                self._ack(0x0B)
            else:
                prof.library[page] = self.buffers[p[0]]
                self._ack(0x00)
        elif code == 0x07:  # LoadChar
            page = int.from_bytes(p[1:3], "big")
            if page in prof.library:
                self.buffers[p[0]] = prof.library[page]
                self._ack(0x00)
            else:
                self._ack(0x0C)
        elif code == 0x08:  # UpChar
            if p[0] in self.buffers:
                self._ack(0x00)
                self._data(self.buffers[p[0]])
            else:
                self._ack(0x0D)
        elif code == 0x09:  # DownChar
            self._download = (p[0], bytearray())
            self._ack(0x00)
        elif code == 0x0A:  # UpImage
            self._ack(0x00 if self.image else 0x15)
            if self.image:
                self._data(bytes((i * 13) & 0xFF for i in range(256 * 288 // 2)))
        elif code == 0x0C:  # Delete
            page, count = int.from_bytes(p[0:2], "big"), int.from_bytes(p[2:4], "big")
            for gone in range(page, page + count):
                prof.library.pop(gone, None)
            self._ack(0x00)
        elif code == 0x0D:  # Empty
            prof.library.clear()
            self._ack(0x00)
        elif code == 0x0E:  # SetSysPara
            number, value = p[0], p[1]
            if number == 5:
                prof.security_level = value
            elif number == 6:
                prof.packet_size_code = value
            self._ack(0x00 if number in (4, 5, 6) else 0x1A)
            if number == 4:  # acknowledged at the old rate; the host follows after
                prof.baud_code = value
        elif code == 0x0F:  # ReadSysPara
            self._ack(
                0x00,
                b"".join(
                    [
                        (0).to_bytes(2, "big"),
                        (0x0009).to_bytes(2, "big"),
                        prof.capacity.to_bytes(2, "big"),
                        prof.security_level.to_bytes(2, "big"),
                        prof.address,
                        prof.packet_size_code.to_bytes(2, "big"),
                        prof.baud_code.to_bytes(2, "big"),
                    ]
                ),
            )
        elif code == 0x12:  # SetPwd
            prof.password = int.from_bytes(p[0:4], "big")
            self._ack(0x00)
        elif code == 0x13:  # VfyPwd
            self._ack(0x00 if int.from_bytes(p[0:4], "big") == prof.password else 0x13)
        elif code == 0x14:  # GetRandomCode
            self._ack(0x00, self.faults.random.getrandbits(32).to_bytes(4, "big"))
        elif code == 0x15:  # SetAdder
            self._ack(0x00)
            prof.address = bytes(p[0:4])
        elif code == 0x1D:  # TemplateNum
            self._ack(0x00, len(prof.library).to_bytes(2, "big"))
        elif code == 0x1F:  # ReadIndexTable
            base, bits = p[0] * 256, bytearray(32)
            for page in prof.library:
                if base <= page < base + 256:
                    bits[(page - base) // 8] |= 1 << ((page - base) % 8)
            self._ack(0x00, bytes(bits))
        else:
            self._ack(0x01)
