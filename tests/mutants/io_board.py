"""Classic mistakes of a Modbus RTU board driver, as mixins the sensors' and the
lights' mutants put in front of their driver (tests/mutants/sensors.py, lights.py)."""

from __future__ import annotations

from drivers.io_board import modbus as mb
from drivers.model import DeviceError, DeviceTimeout, LinkLost, ProtocolError


class AcceptsBadCrc:
    """Any two bytes at the end will do."""

    def _check_crc(self, raw):
        pass


class TimeoutAsBadFrame:
    def _exchange(self, ctx, pdu, count):
        try:
            return super()._exchange(ctx, pdu, count)
        except DeviceTimeout:
            raise ProtocolError("bad frame", "bad_frame") from None


class ExceptionsAsHardware:
    """Every Modbus exception is a broken board: a busy one is never tried again."""

    def _exchange(self, ctx, pdu, count):
        try:
            return super()._exchange(ctx, pdu, count)
        except mb.ModbusException as exc:
            raise DeviceError(str(exc), "board_failure") from None


class NoReconnect:
    def _guarded(self, ctx, exchange, unknown=None):
        return exchange()

    def _exchange(self, ctx, pdu, count):
        if not self.link.is_open and self.link.opened:
            raise LinkLost("gone")
        return super()._exchange(ctx, pdu, count)


class NoIdentityCheck:
    def _identify(self, ctx):
        if self.identity is None:
            super()._identify(ctx)
        else:
            self._identified = self.link.opened


class ForgetsRestarts:
    """The boot counter is never read again: a restart goes unseen."""

    def _check_boots(self, ctx):
        pass
