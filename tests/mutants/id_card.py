"""Broken ID card reader drivers, each with one classic mistake."""

from __future__ import annotations

from drivers.id_card import sam
from drivers.id_card.driver import SamFailure, SamIdCardReader
from drivers.model import DeviceTimeout, LinkLost, ProtocolError
from drivers.worker import CommandContext


class TimeoutAsBadFrame(SamIdCardReader):
    def _ask(self, ctx, cmd, para):
        try:
            return super()._ask(ctx, cmd, para)
        except DeviceTimeout:
            raise ProtocolError("bad header", "bad_frame") from None


class AcceptsWrongChecksum(SamIdCardReader):
    def _exchange(self, ctx, cmd, para):
        self.link.write(sam.command(cmd, para), ctx)
        head = self.link.read(7, ctx)
        body = self.link.read(int.from_bytes(head[5:7], "big"), ctx)
        return sam.Reply(body[2], body[3:-1])


class CachesLastCard(SamIdCardReader):
    """Hands out the last record again when no new card is found."""

    last = None

    def _read_card(self, ctx):
        if self.last is not None and self._ask(ctx, *sam.FIND).sw3 != sam.SW_FOUND:
            return self.last
        self.last = super()._read_card(ctx)
        return self.last


class PulledCardCallsTheOperator(SamIdCardReader):
    def _read_card(self, ctx):
        try:
            return super()._read_card(ctx)
        except Exception as exc:
            raise SamFailure(str(exc), "read_failed") from None


class _Deaf(CommandContext):
    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class IgnoresCancel(SamIdCardReader):
    def _read_card(self, ctx):
        return super()._read_card(_Deaf(ctx))


class NoReconnect(SamIdCardReader):
    def _ask(self, ctx, cmd, para):
        if not self.link.is_open:
            raise LinkLost("gone")
        return self._exchange_once(ctx, cmd, para)

    def _exchange_once(self, ctx, cmd, para):
        self.link.write(sam.command(cmd, para), ctx)
        head = self.link.read(7, ctx)
        return sam.parse_reply(head + self.link.read(int.from_bytes(head[5:7], "big"), ctx))


MUTANTS = {
    TimeoutAsBadFrame: "timeout is a timeout",
    AcceptsWrongChecksum: "bad frames refused",
    CachesLastCard: "card must leave the field",
    PulledCardCallsTheOperator: "card pulled mid-read",
    IgnoresCancel: "cancel",
    NoReconnect: "reconnect",
}
