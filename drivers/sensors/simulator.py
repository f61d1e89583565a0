"""A simulated sensor board: a Modbus RTU discrete-input module (drivers/io_board) with
the booth's three contacts wired to it:

    DI 0  presence: a radar or PIR above the screen (1: someone there)
    DI 1  door switch of the cabinet (1: open)
    DI 2  tamper switch behind the panel (1: tampered)

The world is the profile's `presence`, `door_open` and `tamper` (a console's `set`);
`approach()`, `walk_away()`, `open_door()`, `close_door()`, `tamper_with()` and
`glitch()` change it. Fault `stuck_input`: the presence input stops following the
world (a hung radar) until `unstick()`; the board's `busy` and `board_reset`, and the
wire's faults, as every board has.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from drivers.io_board.simulator import BoardProfile, ModbusBoardSimulator
from drivers.simulator import FaultPlan

PRESENCE, DOOR, TAMPER = 0, 1, 2


@dataclass
class SensorProfile(BoardProfile):
    serial_number: int = 20250101
    presence: bool = False
    door_open: bool = False
    tamper: bool = False


class SensorBoardSimulator(ModbusBoardSimulator):
    name = "sensors"
    profile_class = SensorProfile
    profile: SensorProfile

    def __init__(
        self,
        profile: SensorProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        super().__init__(profile or SensorProfile(), faults, folder, pacing=pacing)
        self.stuck: dict[int, bool] = {}  # input -> the value it is stuck at

    def input_bits(self) -> list[bool]:
        world = [self.profile.presence, self.profile.door_open, self.profile.tamper]
        bits = world + [False] * (self.input_count - len(world))
        for at, value in self.stuck.items():
            bits[at] = value
        return bits

    # --- the world ----------------------------------------------------------------------

    def approach(self) -> None:
        self.profile.presence = True

    def walk_away(self) -> None:
        self.profile.presence = False

    def open_door(self) -> None:
        self.profile.door_open = True

    def close_door(self) -> None:
        self.profile.door_open = False

    def tamper_with(self, on: bool = True) -> None:
        self.profile.tamper = on

    def glitch(self, field: str, seconds: float) -> None:
        """A contact that bounces: `field` flips for `seconds`, then back."""
        setattr(self.profile, field, not getattr(self.profile, field))
        timer = threading.Timer(
            seconds, lambda: setattr(self.profile, field, not getattr(self.profile, field))
        )
        timer.daemon = True
        timer.start()

    def unstick(self) -> None:
        self.stuck.clear()

    def device_fault(self, kind: str) -> None:
        if kind == "stuck_input":
            self.stuck[PRESENCE] = self.input_bits()[PRESENCE]

    def console_command(self, words: list[str]) -> bool:
        """`kiosk sim sensors`: approach, leave, door open|close, tamper [off], unstick, reset."""
        match words:
            case ["approach"]:
                self.approach()
            case ["leave"]:
                self.walk_away()
            case ["door", "open" | "close" as how]:
                (self.open_door if how == "open" else self.close_door)()
            case ["tamper"] | ["tamper", "on" | "off"]:
                self.tamper_with(words[-1] != "off")
            case ["unstick"]:
                self.unstick()
            case ["reset"]:
                self.reset()
            case _:
                return False
        return True
