"""Broken card transport drivers, each with one classic mistake."""

from __future__ import annotations

from drivers.card_transport import frames as fr
from drivers.card_transport.driver import CrtCardTransport
from drivers.card_transport.wire import CrtWire
from drivers.model import CitizenCanFix, DeviceTimeout, LinkLost, ProtocolError
from drivers.worker import CommandContext


class IgnoresNak(CrtCardTransport):
    """A negative answer taken as done (E1E0 never read)."""

    def _command(self, ctx, cm, pm, data=b""):
        reply = self._guarded(ctx, lambda: self._exchange(ctx, cm, pm, data))
        return fr.Reply(True, reply.cm, reply.pm, reply.status.ljust(3, "0"), reply.data)


class _TrustsAnyChecksum(CrtWire):
    def read_reply(self, ctx):
        head = self.link.read(4, ctx)
        raw = head + self.link.read(int.from_bytes(head[2:4], "big") + 2, ctx)
        return fr.parse(raw[:-1] + bytes([fr.bcc(raw[:-1])]))


class AcceptsWrongChecksum(CrtCardTransport):
    wire_class = _TrustsAnyChecksum


class NeverCapturesOnTimeout(CrtCardTransport):
    """The card not taken is left at the gate for the next passer-by."""

    def _present(self, ctx, take_s):
        try:
            return super()._wait_for_removal(_Until(ctx, take_s)) and {"taken": True}
        except DeviceTimeout:
            return {"taken": False, "retained": True}


class JamIsTheCitizens(CrtCardTransport):
    def _move(self, ctx, where):
        try:
            return super()._move(ctx, where)
        except ProtocolError:
            raise
        except Exception as exc:
            raise CitizenCanFix(str(exc), "jam") from None


class _SilenceIsABadFrame(CrtWire):
    def read_first(self, ctx):
        try:
            return super().read_first(ctx)
        except DeviceTimeout:
            raise ProtocolError("bad frame", "bad_frame") from None


class TimeoutAsBadFrame(CrtCardTransport):
    wire_class = _SilenceIsABadFrame


class _Deaf(CommandContext):
    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class _Until(CommandContext):
    def __init__(self, ctx, seconds):
        import time

        super().__init__(min(ctx.deadline, time.monotonic() + seconds))


class IgnoresCancel(CrtCardTransport):
    def _wait_for_card(self, ctx):
        return super()._wait_for_card(_Deaf(ctx))


class NoReconnect(CrtCardTransport):
    def _guarded(self, ctx, exchange, unknown=None):
        return exchange()

    def _exchange(self, ctx, cm, pm, data):
        if not self.link.is_open:
            raise LinkLost("gone")
        return super()._exchange(ctx, cm, pm, data)


class NoIdentityCheck(CrtCardTransport):
    def _identify(self, ctx):
        self._identified = self.link.opened
        if self.identity is None:
            super()._identify(ctx)


MUTANTS = {
    IgnoresNak: "refusals typed",
    AcceptsWrongChecksum: "bad frames refused",
    NeverCapturesOnTimeout: "retained when not taken",
    JamIsTheCitizens: "jam",
    TimeoutAsBadFrame: "timeout is a timeout",
    IgnoresCancel: "cancel",
    NoReconnect: "reconnect",
    NoIdentityCheck: "hot-plug identity",
}
