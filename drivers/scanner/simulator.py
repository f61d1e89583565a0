"""A simulated serial code scanner: `present(code)` sends the code as a line, as a
citizen holding a code under the window does: after the scanner's decode time
(`decode_s`), at its line rate (9,600 baud from the factory, as the driver's
default), so an 18-digit payment code and its CRLF take about 21 ms on the wire."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drivers.simulator import FaultPlan, PtySimulator


@dataclass
class ScannerProfile:
    line_end: str = "\r\n"  # CR or CRLF, as the scanner is configured
    baudrate: int = 9600  # the factory rate of serial scanners (and the driver's default)
    decode_s: float = 0.05  # from the code under the window to its first byte on the wire


class ScannerSimulator(PtySimulator):
    name = "scanner"
    profile_class = ScannerProfile

    def __init__(
        self,
        profile: ScannerProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        self.profile = profile or ScannerProfile()
        super().__init__(faults, folder, pacing=pacing)
        self.received = bytearray()  # a scanner takes no commands; kept for inspection

    def line_rate(self) -> int:
        return self.profile.baudrate

    def present(self, code: str) -> None:
        """Returns once the line is on the wire (the decode and wire time, paced)."""
        self.busy(self.profile.decode_s)
        self._answer(code.encode("utf-8"), self.profile.line_end.encode())

    def handle(self, data: bytes) -> bytes:
        self.received += data
        return b""
