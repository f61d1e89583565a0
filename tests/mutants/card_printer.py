"""Broken card printer drivers, each with one classic mistake."""

from __future__ import annotations

import time

from drivers.card_printer import frames as fr
from drivers.card_printer.driver import BadImage, HeadError, TrwCardPrinter
from drivers.card_transport.frames import bcc
from drivers.card_transport.wire import CrtWire
from drivers.model import DeviceTimeout, LinkLost, ProtocolError
from drivers.worker import CommandContext


class PrintsWithoutErasing(TrwCardPrinter):
    """Prints over whatever the strip holds (the old endorsement shows through)."""

    def _rewrite(self, ctx, raster):
        self._print(ctx, raster)
        return {"verified": None, "dots": raster.dots()}


class ErasesOnce(TrwCardPrinter):
    """Trusts an erase to have taken without looking."""

    def _erase(self, ctx):
        media = super()._erase(ctx)
        return {**media, "strip": "erased"}


class IgnoresChunkRefusal(TrwCardPrinter):
    """A chunk the module refused by its CRC is taken as sent (a bad checksum reply)."""

    def _chunk(self, ctx, offset, data):
        try:
            self._command(ctx, fr.IMAGE, fr.CHUNK, fr.chunk(offset, data))
        except BadImage:
            pass


class HeadErrorIsSuccess(TrwCardPrinter):
    def _heat(self, ctx, cm, pm, data=b""):
        try:
            super()._heat(ctx, cm, pm, data)
        except HeadError:
            pass

    def _rewrite(self, ctx, raster):
        try:
            return super()._rewrite(ctx, raster)
        except Exception:
            return {"verified": None, "dots": raster.dots()}


class GivesUpOnAHotHead(TrwCardPrinter):
    def _heat(self, ctx, cm, pm, data=b""):
        self._command(ctx, cm, pm, data, answer_s=4.0)


class _Forever(CommandContext):
    """A context whose deadline never comes (cancel still works)."""

    def __init__(self, ctx):
        super().__init__(time.monotonic() + 3600)
        self.cancelled = ctx.cancelled


class _WaitsForever(CrtWire):
    def answer_context(self, ctx, answer_s):
        return _Forever(ctx)


class NeverTimesOut(TrwCardPrinter):
    """Waits for an answer as long as it takes."""

    wire_class = _WaitsForever


class _TrustsAnyChecksum(CrtWire):
    def read_reply(self, ctx):
        head = self.link.read(4, ctx)
        raw = head + self.link.read(int.from_bytes(head[2:4], "big") + 2, ctx)
        return fr.parse(raw[:-1] + bytes([bcc(raw[:-1])]))


class AcceptsWrongChecksum(TrwCardPrinter):
    wire_class = _TrustsAnyChecksum


class _SilenceIsABadFrame(CrtWire):
    def read_first(self, ctx):
        try:
            return super().read_first(ctx)
        except DeviceTimeout:
            raise ProtocolError("bad frame", "bad_frame") from None


class TimeoutAsBadFrame(TrwCardPrinter):
    wire_class = _SilenceIsABadFrame


class _Deaf(CommandContext):
    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class IgnoresCancel(TrwCardPrinter):
    def _print(self, ctx, raster):
        return super()._print(_Deaf(ctx), raster)


class NoReconnect(TrwCardPrinter):
    """Opens the port once; a link that went away stays away."""

    def _guarded(self, ctx, exchange, unknown=None):
        return exchange()

    def _exchange(self, ctx, cm, pm, data, answer_s):
        if not self.link.is_open and self.link.opened:
            raise LinkLost("gone")
        return super()._exchange(ctx, cm, pm, data, answer_s)


class NoIdentityCheck(TrwCardPrinter):
    def _identify(self, ctx):
        self._identified = self.link.opened
        if self.identity is None:
            super()._identify(ctx)


MUTANTS = {
    PrintsWithoutErasing: "rewrite on a written card",
    ErasesOnce: "an erase that did not take",
    IgnoresChunkRefusal: "a bent chunk is sent again",
    HeadErrorIsSuccess: "head error",
    GivesUpOnAHotHead: "a hot head is waited for",
    NeverTimesOut: "a silent module is a timeout",
    AcceptsWrongChecksum: "bad frames refused",
    TimeoutAsBadFrame: "timeout is a timeout",
    IgnoresCancel: "cancel",
    NoReconnect: "reconnect",
    NoIdentityCheck: "hot-plug identity",
}
