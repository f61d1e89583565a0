"""Broken bank-card terminal drivers, each with one classic mistake, including the
two of the widely copied micropay sample (specs/devices.md)."""

from __future__ import annotations

from drivers.card_payment import ecr
from drivers.card_payment.driver import Declined, EcrTerminal
from drivers.model import DeviceTimeout, ProtocolError
from drivers.worker import CommandContext


class AcceptsWrongChecksum(EcrTerminal):
    def _receive(self, ctx):
        raw = self._read_frame(ctx)
        self.link.write(bytes([ecr.ACK]), ctx)
        return raw[5:-2].decode("ascii", errors="replace").split(chr(ecr.FS))


class TimeoutAsFailed(EcrTerminal):
    """A sale with no answer is reported declined: the citizen pays again, twice."""

    def _sale(self, order, amount_fen, ctx):
        try:
            return self._result(ctx, "SALE", order, str(amount_fen))
        except DeviceTimeout:
            raise Declined("no answer", "declined") from None


class NoNakRetry(EcrTerminal):
    def _receive(self, ctx):
        return ecr.parse(self._read_frame(ctx))


class TimeoutAsBadFrame(EcrTerminal):
    def _status(self, ctx):
        try:
            return super()._status(ctx)
        except DeviceTimeout:
            raise ProtocolError("bad frame", "bad_frame") from None


class _Deaf(CommandContext):
    """Hears the deadline, not the cancel."""

    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class IgnoresCancel(EcrTerminal):
    def _sale(self, order, amount_fen, ctx):
        return super()._sale(order, amount_fen, _Deaf(ctx))


class NoReconnect(EcrTerminal):
    def _status(self, ctx):
        fields = self._exchange(ctx, "STATUS")
        return {"terminal": fields[0]}


MUTANTS = {
    AcceptsWrongChecksum: "wrong checksum refused",
    TimeoutAsFailed: "lost result is unknown",
    NoNakRetry: "NAK and resend",
    TimeoutAsBadFrame: "timeout is a timeout",
    IgnoresCancel: "cancel",
    NoReconnect: "reconnect",
}
