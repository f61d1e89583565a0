"""The booth's guide lights and buzzer on a Modbus RTU output board (drivers/io_board;
the wiring: drivers/lights/outputs.py).

`show({"card_transport": "blink"})` lights what it names (`on`, or `blink`: the
board flashes it by itself) and puts every other output off, in one write of all 32
coils (function 15), so the lights never show half of two screens. `beep(seconds)`
sounds the buzzer that long (cancellable: it stops at once).

Status: the device `online` while the board answers; its media, each output's mode
and `restarts`. A board that restarted (its boot counter moved) or whose coils read
back otherwise than they were written is written again at the next `query_status`:
a power glitch does not leave the citizen without the light the screen points to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from drivers.io_board import modbus as mb
from drivers.io_board.board import ModbusBoard
from drivers.lights.outputs import COILS, FLASH, MODES, OUTPUTS
from drivers.model import DeviceState, InvalidData, Status
from drivers.worker import CommandContext, CommandHandle

log = logging.getLogger("kiosk.drivers.lights")


class ModbusLights(ModbusBoard):
    """`lights` driver. Config: `port`; options `baudrate` (9600), `unit` (1)."""

    device_class = "lights"
    unknown_media: ClassVar[dict[str, str]] = {name: "unknown" for name in OUTPUTS}

    def __init__(
        self,
        port: str,
        name: str = "lights",
        baudrate: int = 9600,
        unit: int = 1,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(port, name, baudrate, unit, on_event)
        self.wanted = {output: "off" for output in OUTPUTS}

    # --- commands -----------------------------------------------------------------------

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        """Identify the board and put every light off."""

        def opening(ctx: CommandContext) -> dict[str, str]:
            self._identify(ctx)
            return {**self._write(ctx), "identity": self.identity or ""}

        return self.worker.submit("open", opening, timeout_s)

    def show(self, modes: dict[str, str], timeout_s: float = 1.0) -> CommandHandle:
        """These outputs in these modes (off, on, blink), every other one off."""
        return self.worker.submit("show", lambda ctx: self._show(ctx, dict(modes)), timeout_s)

    def beep(self, seconds: float, timeout_s: float | None = None) -> CommandHandle:
        """The buzzer on for `seconds`, then off (cancel: off at once)."""
        return self.worker.submit("beep", lambda ctx: self._beep(ctx, seconds),
                                  timeout_s or seconds + 2.0)  # fmt: skip

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def self_test(self, timeout_s: float = 2.0) -> CommandHandle:
        def test(ctx: CommandContext) -> dict[str, str]:
            self._identify(ctx)
            return {**self._status(ctx), "identity": self.identity or "",
                    "firmware": self.firmware}  # fmt: skip

        return self.worker.submit("self_test", test, timeout_s)

    # --- on the worker ------------------------------------------------------------------

    def _show(self, ctx: CommandContext, modes: dict[str, str]) -> dict[str, str]:
        for output, mode in modes.items():
            if output not in OUTPUTS:
                raise InvalidData(f"no light {output!r} on the board", "unknown_light")
            if mode not in MODES:
                raise InvalidData(f"a light is {'/'.join(MODES)}, not {mode!r}", "bad_mode")
        self.wanted = {output: modes.get(output, "off") for output in OUTPUTS}
        return self._write(ctx)

    def _beep(self, ctx: CommandContext, seconds: float) -> dict[str, str]:
        self.wanted["buzzer"] = "on"
        self._write(ctx)
        try:
            if ctx.cancelled.wait(max(0.0, min(seconds, ctx.remaining() - 0.3))):
                ctx.check()
        finally:
            self.wanted["buzzer"] = "off"
            quiet = CommandContext(ctx.deadline + 0.2)  # off even when cancelled
            self._write(quiet)
        return dict(self.status.media)

    def _status(self, ctx: CommandContext) -> dict[str, str]:
        self._check_boots(ctx)  # a restart writes the lights again (_restarted)
        coils = self._read_bits(ctx, mb.READ_COILS, 0, COILS)
        if coils != self._coils():
            log.warning("the lights board shows otherwise than it was told: written again")
            return self._write(ctx)
        return self._report()

    def _restarted(self, ctx: CommandContext) -> None:
        self._write(ctx)

    def _write(self, ctx: CommandContext) -> dict[str, str]:
        self._write_coils(ctx, 0, self._coils())
        return self._report()

    def _coils(self) -> list[bool]:
        coils = [False] * COILS
        for output, mode in self.wanted.items():
            coils[OUTPUTS[output]] = mode != "off"
            coils[FLASH + OUTPUTS[output]] = mode == "blink"
        return coils

    def _report(self) -> dict[str, str]:
        media = {**self.wanted, "restarts": str(self.restarts)}
        self._set(Status(DeviceState.ONLINE, media))
        return media
