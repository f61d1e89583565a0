"""A simulated guide-light board: a Modbus RTU output module (drivers/io_board) with
32 coils, wired as drivers/lights/outputs.py says (coil n lights output n, coil 16+n
makes it flash). It shows what a citizen would see: `states()` (each lit output:
on or blink), and each change through `on_change` (`kiosk sim lights` prints them).
Faults: the board's `busy` and `board_reset` (every light goes dark), and the wire's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.io_board.simulator import BoardProfile, ModbusBoardSimulator
from drivers.lights.outputs import COILS, FLASH, OUTPUTS
from drivers.simulator import FaultPlan


@dataclass
class LightProfile(BoardProfile):
    serial_number: int = 20250201


class LightBoardSimulator(ModbusBoardSimulator):
    name = "lights"
    profile_class = LightProfile
    coil_count = COILS

    def __init__(
        self,
        profile: LightProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        super().__init__(profile or LightProfile(), faults, folder, pacing=pacing)
        self.on_change: Callable[[str], None] = lambda line: None
        self._shown = ""

    def states(self) -> dict[str, str]:
        """Each lit output as a citizen sees it: on, or blink."""
        found = {}
        for output, at in OUTPUTS.items():
            if self.coils[at]:
                found[output] = "blink" if self.coils[FLASH + at] else "on"
        return found

    def coils_changed(self) -> None:
        self._show_line()

    def restarted(self) -> None:
        self._show_line()

    def _show_line(self) -> None:
        line = " ".join(f"{k}={v}" for k, v in self.states().items()) or "all off"
        if line != self._shown:
            self._shown = line
            self.on_change(f"lights: {line}")

    def console_command(self, words: list[str]) -> bool:
        """`kiosk sim lights`: `show` (what is lit now), `reset` (the board restarts)."""
        if words == ["show"]:
            self.on_change(f"lights: {self._shown or 'all off'}")
        elif words == ["reset"]:
            self.reset()
        else:
            return False
        return True
