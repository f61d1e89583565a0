"""Broken lights drivers, each with one classic mistake."""

from __future__ import annotations

from drivers.io_board import modbus as mb
from drivers.lights.driver import ModbusLights
from drivers.lights.outputs import OUTPUTS
from drivers.worker import CommandContext
from tests.mutants import io_board as board


class AcceptsBadCrc(board.AcceptsBadCrc, ModbusLights):
    pass


class TimeoutAsBadFrame(board.TimeoutAsBadFrame, ModbusLights):
    pass


class ExceptionsAsHardware(board.ExceptionsAsHardware, ModbusLights):
    pass


class NoReconnect(board.NoReconnect, ModbusLights):
    pass


class NoIdentityCheck(board.NoIdentityCheck, ModbusLights):
    pass


class ForgetsAfterReset(board.ForgetsRestarts, ModbusLights):
    """Never asks whether the board restarted, nor reads its coils back."""

    def _status(self, ctx):
        self._read_bits(ctx, mb.READ_COILS, 0, 32)
        return self._report()


class SteadyForBlink(ModbusLights):
    """The flash coils never written: the slot is lit, not blinking."""

    def _coils(self):
        coils = super()._coils()
        return coils[:16] + [False] * 16


class OneCoilAtATime(ModbusLights):
    """Function 05 per coil: a screen change shows half of two screens for a while."""

    def _write(self, ctx):
        for at, bit in enumerate(self._coils()):
            request = bytes([mb.WRITE_COIL]) + at.to_bytes(2, "big")
            request += (mb.COIL_ON if bit else mb.COIL_OFF).to_bytes(2, "big")
            self._request(ctx, request, None)
        return self._report()


class IgnoresUnknownLights(ModbusLights):
    def _show(self, ctx, modes):
        modes = {k: v for k, v in modes.items() if k in OUTPUTS}
        return super()._show(ctx, {k: v if v in ("on", "off", "blink") else "on"
                                   for k, v in modes.items()})  # fmt: skip


class BuzzerLeftOn(ModbusLights):
    def _beep(self, ctx, seconds):
        self.wanted["buzzer"] = "on"
        self._write(ctx)
        ctx.cancelled.wait(seconds)
        ctx.check()
        return dict(self.status.media)


class _Deaf(CommandContext):
    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class IgnoresCancel(ModbusLights):
    def _beep(self, ctx, seconds):
        return super()._beep(_Deaf(ctx), seconds)


MUTANTS = {
    AcceptsBadCrc: "bad frames refused",
    TimeoutAsBadFrame: "timeout is a timeout",
    ExceptionsAsHardware: "exceptions typed",
    NoReconnect: "reconnect",
    NoIdentityCheck: "hot-plug identity",
    ForgetsAfterReset: "board reset",
    SteadyForBlink: "blink on the wire",
    OneCoilAtATime: "blink on the wire",
    IgnoresUnknownLights: "refusals",
    BuzzerLeftOn: "beep",
    IgnoresCancel: "cancel",
}
