"""A 1-bit raster of the rewritable strip, as the module takes it and gives it back.

Rows top to bottom, each `ceil(width / 8)` bytes, the leftmost dot in the high bit,
1 = a dot the head darkens (as ESC/POS `GS v 0`); the unused bits at a row's end are 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.model import InvalidData


@dataclass(frozen=True)
class Raster:
    width: int  # dots
    height: int  # dots
    data: bytes

    def __post_init__(self) -> None:
        if not (0 < self.width <= 4096 and 0 < self.height <= 4096):
            raise InvalidData(f"a raster of {self.width}x{self.height} dots", "wrong_size")
        if len(self.data) != self.row_bytes * self.height:
            raise InvalidData(
                f"{len(self.data)} bytes for {self.width}x{self.height} dots", "wrong_size"
            )

    @property
    def row_bytes(self) -> int:
        return (self.width + 7) // 8

    @classmethod
    def blank(cls, width: int, height: int) -> Raster:
        return cls(width, height, bytes((width + 7) // 8 * height))

    def dots(self) -> int:
        """How many dots are dark."""
        return sum(bin(byte).count("1") for byte in self.data)

    def dark(self, x: int, y: int) -> bool:
        return bool(self.data[y * self.row_bytes + x // 8] & (0x80 >> (x % 8)))
