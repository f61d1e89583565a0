"""Broken sensors drivers, each with one classic mistake."""

from __future__ import annotations

from drivers.model import DeviceState, Status
from drivers.sensors.driver import INPUTS, ModbusSensors
from drivers.worker import CommandContext
from tests.mutants import io_board as board


class AcceptsBadCrc(board.AcceptsBadCrc, ModbusSensors):
    pass


class TimeoutAsBadFrame(board.TimeoutAsBadFrame, ModbusSensors):
    pass


class ExceptionsAsHardware(board.ExceptionsAsHardware, ModbusSensors):
    pass


class NoReconnect(board.NoReconnect, ModbusSensors):
    pass


class NoIdentityCheck(board.NoIdentityCheck, ModbusSensors):
    pass


class ForgetsRestarts(board.ForgetsRestarts, ModbusSensors):
    pass


class NoDebounce(ModbusSensors):
    """Every bounce of a contact is news."""

    def _settle(self, raw):
        media = {**raw, "restarts": str(self.restarts)}
        self._set(Status(DeviceState.ONLINE, media))
        return media


class HighBitFirst(ModbusSensors):
    """Reads the inputs' byte from its high bit: DI 0 taken for DI 7."""

    def _read_inputs(self, ctx):
        bits = self._read_bits(ctx, 0x02, 0, 8)[::-1][:3]
        return {name: words[bit] for (name, words), bit in zip(INPUTS.items(), bits, strict=True)}


class TamperIsOnline(ModbusSensors):
    """A tripped tamper switch is only a media word: nobody is told it is fraud."""

    def _settle(self, raw):
        media = super()._settle(raw)
        self._set(Status(DeviceState.ONLINE, media))
        return media


class _Deaf(CommandContext):
    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class IgnoresCancel(ModbusSensors):
    def _watch(self, ctx):
        return super()._watch(_Deaf(ctx))


MUTANTS = {
    AcceptsBadCrc: "bad frames refused",
    TimeoutAsBadFrame: "timeout is a timeout",
    ExceptionsAsHardware: "exceptions typed",
    NoReconnect: "reconnect",
    NoIdentityCheck: "hot-plug identity",
    ForgetsRestarts: "board reset",
    NoDebounce: "debounced",
    HighBitFirst: "input map",
    TamperIsOnline: "door and tamper",
    IgnoresCancel: "cancel",
}
