"""A simulated signature pad speaking Wacom's ISDV4 serial protocol at the far end
of a pty, with the citizen's pen on it.

Its own codec (not the driver's): the host's '0' stops sampling, '1' starts it,
'*' is answered with the 11-byte query reply (C0, the ranges, the firmware
version), '%' with a touch query reply that names no touch sensor (a pen-only
pad); while sampling, every pen report goes out as 9 bytes (80 | proximity 20 |
tip 01, then x, y and pressure in seven-bit groups, the low bits in byte 6).
Nothing goes out while sampling is off: a pen moving then is lost, as on the pad.

The citizen: `sign()` writes a signature, a script of points (`script`: a JSON
file, `{"strokes": [[[x, y, pressure, t_ms], ...], ...]}`, x and y from 0 to 1
across the signing box, pressure 0 to 1; the shipped one by default, "" for one
generated from `seed`), each stroke with the pen hovering before and after it and
leaving the pad's range; then, if told, a tap on the pad's 确认 or 重签 (`tap()`),
the buttons below the signing box (`box`: its share of the pad's height).
`speed` plays it faster than written. What went out is kept for tests: `written`
(per stroke, the pen-down reports as sent, sensor units), `reports` (how many in all).

Faults: the wire's (drivers/simulator.py) strike the next answer to a query or the
next pen report: `garbage`, `truncated`, `no_answer`, `slow_answer`, `dropped_link`
(the pad resets: sampling off until the host starts it again). The pad's own, for
its next signature: `no_pen` (the pen is never put down), `out_of_range` (the next
stroke is reported beyond the ranges the query announced: a failing sensor).
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from drivers.simulator import FaultPlan, PtySimulator

SPECIMEN = Path(__file__).with_name("specimen.json")
PAD_FAULTS = {"no_pen", "out_of_range"}
HOVER = 3  # reports with the pen near but up, before and after each stroke
TAP = 4  # reports with the pen down on a button

Point = tuple[float, float, float, float]  # x, y, pressure (0..1), t (ms)


@dataclass
class PadProfile:
    version: int = 0x0E21  # the sensor's firmware, 14 bits
    x_max: int = 15200
    y_max: int = 9500
    pressure_max: int = 1023
    baudrate: int = 38400
    rate_hz: float = 133.0  # reports a second while the pen is near
    box: float = 0.75  # the signing box's share of the height; the buttons below
    script: str = str(SPECIMEN)  # "" : a signature generated from `seed`
    seed: int = 7
    speed: float = 1.0


def load_script(path: str) -> list[list[Point]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return [[(float(x), float(y), float(p), float(t)) for x, y, p, t in s] for s in data["strokes"]]


def generated(seed: int, rate_hz: float = 133.0) -> list[list[Point]]:
    """A made-up signature (no one's): a few flowing strokes, pressure rising and
    falling along each, sampled at the pad's rate."""
    draw = random.Random(seed)
    strokes, t = [], 0.0
    for i in range(draw.randint(3, 4)):
        left = 0.08 + 0.22 * i + draw.uniform(-0.03, 0.03)
        count = int(rate_hz * draw.uniform(0.35, 0.6))
        waves, height = draw.uniform(1.0, 2.5), draw.uniform(0.15, 0.3)
        stroke = []
        for k in range(count):
            f = k / (count - 1)
            x = left + 0.2 * f
            y = 0.5 + height * math.sin(2 * math.pi * waves * f) * (1 - 0.5 * f)
            pressure = 0.35 + 0.55 * math.sin(math.pi * f)
            stroke.append((round(x, 4), round(y, 4), round(pressure, 3), round(t, 1)))
            t += 1000 / rate_hz
        strokes.append(stroke)
        t += draw.uniform(150, 300)  # the pen lifted between strokes
    return strokes


class Isdv4PadSimulator(PtySimulator):
    name = "signature_pad"
    profile_class = PadProfile

    def __init__(
        self,
        profile: PadProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        self.profile = profile or PadProfile()
        super().__init__(faults, folder, pacing=pacing)
        self.sampling = False
        self.written: list[list[tuple[int, int, int]]] = []  # pen-down reports sent
        self.taps: list[str] = []
        self.reports = 0  # pen reports sent, over the simulator's life
        self.pen = threading.Lock()  # one hand: a signature and a tap never overlap
        self._armed: set[str] = set()

    def line_rate(self) -> int:
        return self.profile.baudrate

    # --- the wire ---------------------------------------------------------------------

    def handle(self, data: bytes) -> bytes:
        for byte in data:
            if byte == 0x30:  # '0'
                self.sampling = False
            elif byte == 0x31:  # '1'
                self.sampling = True
            elif byte == 0x2A:  # '*'
                self._answer(self._query_reply())
            elif byte == 0x25:  # '%'
                self._answer(self._touch_reply())
        return b""

    def drop_link(self, down_s: float = 0.3) -> None:
        self.sampling = False  # unplugged, the pad loses power: it wakes up stopped
        super().drop_link(down_s)

    def device_fault(self, kind: str) -> None:
        if kind in PAD_FAULTS:
            self._armed.add(kind)

    def _query_reply(self) -> bytes:
        p = self.profile
        low = ((p.x_max & 3) << 5) | ((p.y_max & 3) << 3) | ((p.pressure_max >> 7) & 7)
        return bytes([0xC0, (p.x_max >> 9) & 0x7F, (p.x_max >> 2) & 0x7F,
                      (p.y_max >> 9) & 0x7F, (p.y_max >> 2) & 0x7F, p.pressure_max & 0x7F,
                      low, 0, 0, (p.version >> 7) & 0x7F, p.version & 0x7F])  # fmt: skip

    def _touch_reply(self) -> bytes:
        version = self.profile.version
        return bytes([0xC1, 0, 0, 0, 0, 0, 0, 0, 0, (version >> 7) & 0x7F, version & 0x7F])

    def _report(self, near: bool, down: bool, x: int, y: int, pressure: int) -> None:
        if not self.sampling:
            return
        low = ((x & 3) << 5) | ((y & 3) << 3) | ((pressure >> 7) & 7)
        first = 0x80 | (0x20 if near else 0) | (0x01 if down else 0)
        self.reports += 1
        self._answer(bytes([first, (x >> 9) & 0x7F, (x >> 2) & 0x7F, (y >> 9) & 0x7F,
                            (y >> 2) & 0x7F, pressure & 0x7F, low, 0, 0]))  # fmt: skip

    # --- the citizen --------------------------------------------------------------------

    def sign(
        self, then: str | None = "confirm", strokes: list[list[Point]] | None = None
    ) -> threading.Thread:
        """Write a signature (the profile's script, or `strokes`), then tap `then`
        ("confirm", "clear" or None), on a thread of the citizen's own."""
        script = strokes or self.script()
        hand = threading.Thread(target=self._sign, args=(script, then), daemon=True)
        hand.start()
        return hand

    def script(self) -> list[list[Point]]:
        p = self.profile
        return load_script(p.script) if p.script else generated(p.seed, p.rate_hz)

    def tap(self, button: str) -> threading.Thread:
        """Tap 确认 ("confirm", right) or 重签 ("clear", left) on the pad."""
        if button not in ("confirm", "clear"):
            raise ValueError(f"the pad has no button {button!r}")
        hand = threading.Thread(target=self._tap, args=(button,), daemon=True)
        hand.start()
        return hand

    def _sign(self, script: list[list[Point]], then: str | None) -> None:
        with self.pen:
            if "no_pen" in self._armed:  # the pen stays in its holder
                self._armed.discard("no_pen")
                return
            p, box_h = self.profile, int(self.profile.y_max * self.profile.box)
            began = time.monotonic()
            for stroke in script:
                off = p.x_max + 1 if "out_of_range" in self._armed else 0
                self._armed.discard("out_of_range")
                points = [(round(x * p.x_max) + off, round(y * box_h),
                           round(z * p.pressure_max), t) for x, y, z, t in stroke]  # fmt: skip
                first, last = points[0], points[-1]
                self._wait_until(began + (first[3] / 1000) / p.speed - HOVER * self._tick())
                self._hover(first[0], first[1], HOVER)
                sent = []
                for x, y, z, t in points:
                    self._wait_until(began + (t / 1000) / p.speed)
                    if self.sampling:
                        sent.append((x, y, z))
                    self._report(True, True, x, y, z)
                self.written.append(sent)
                self._hover(last[0], last[1], HOVER)
                self._report(False, False, last[0], last[1], 0)  # out of range
        if then is not None:
            self._tap(then)

    def _tap(self, button: str) -> None:
        with self.pen:
            p = self.profile
            box_h = int(p.y_max * p.box)
            x = p.x_max // 4 if button == "clear" else 3 * p.x_max // 4
            y = (box_h + p.y_max) // 2
            self._hover(x, y, HOVER)
            for _ in range(TAP):
                self._report(True, True, x, y, p.pressure_max // 2)
                self._wait(self._tick())
            self._hover(x, y, HOVER)
            self._report(False, False, x, y, 0)
            self.taps.append(button)

    def _hover(self, x: int, y: int, count: int) -> None:
        for _ in range(count):
            self._report(True, False, x, y, 0)
            self._wait(self._tick())

    def _tick(self) -> float:
        return 1 / (self.profile.rate_hz * self.profile.speed)

    def _wait(self, seconds: float) -> None:
        self._stop.wait(max(0.0, seconds))

    def _wait_until(self, when: float) -> None:
        self._wait(when - time.monotonic())
