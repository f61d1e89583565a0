"""A simulated serial code scanner: `present(code)` sends the code as a line, as a
citizen holding a code under the window does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drivers.simulator import FaultPlan, PtySimulator


@dataclass
class ScannerProfile:
    line_end: str = "\r\n"  # CR or CRLF, as the scanner is configured


class ScannerSimulator(PtySimulator):
    name = "scanner"
    profile_class = ScannerProfile

    def __init__(
        self,
        profile: ScannerProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(faults, folder)
        self.profile = profile or ScannerProfile()
        self.received = bytearray()  # a scanner takes no commands; kept for inspection

    def present(self, code: str) -> None:
        self._answer(code.encode("utf-8"), self.profile.line_end.encode())

    def handle(self, data: bytes) -> bytes:
        self.received += data
        return b""
