"""Broken signature pad drivers, each with one classic mistake."""

from __future__ import annotations

import time

from drivers.model import DeviceTimeout, LinkLost, ProtocolError
from drivers.signature_pad import driver as pad
from drivers.signature_pad import frames as fr
from drivers.signature_pad.driver import Isdv4SignaturePad
from drivers.signature_pad.ink import InkAssembler
from drivers.worker import CommandContext


class DropsLowBits(Isdv4SignaturePad):
    """Reads x and y from bytes 1 to 4 only: byte 6's two low bits of each forgotten."""

    def _read_report(self, ctx):
        report = super()._read_report(ctx)
        if report is None:
            return None
        return fr.PenReport(report.proximity, report.tip, report.side, report.eraser,
                            report.x & ~3, report.y & ~3, report.pressure, 0, 0)  # fmt: skip


class _NoButtons(InkAssembler):
    def button_at(self, x, y):
        return None


class ButtonsAreInk(Isdv4SignaturePad):
    """Never hit-tests the strip below the box: a tap on 重签 is drawn, nothing cleared."""

    def _capture(self, ctx, on_ink):
        original = pad.InkAssembler
        pad.InkAssembler = _NoButtons  # type: ignore[misc]
        try:
            return super()._capture(ctx, on_ink)
        finally:
            pad.InkAssembler = original  # type: ignore[misc]


class DeafToTheScreen(Isdv4SignaturePad):
    def _next_ask(self):
        return None


class EmptyIsSuccess(Isdv4SignaturePad):
    """At the deadline with nothing written, hands the empty ink back as a signature."""

    def _check(self, ctx, ink):
        if ctx.remaining() <= 0 and not ink.points:
            raise _Done(ink)
        super()._check(ctx, ink)

    def _capture(self, ctx, on_ink):
        try:
            return super()._capture(ctx, on_ink)
        except _Done as done:
            return done.ink


class _Done(Exception):
    def __init__(self, ink):
        super().__init__("done")
        self.ink = ink


class _TrustsRanges(InkAssembler):
    def in_range(self, report):
        return True


class TrustsRanges(Isdv4SignaturePad):
    def _capture(self, ctx, on_ink):
        original = pad.InkAssembler
        pad.InkAssembler = _TrustsRanges  # type: ignore[misc]
        try:
            return super()._capture(ctx, on_ink)
        finally:
            pad.InkAssembler = original  # type: ignore[misc]


class NoResync(Isdv4SignaturePad):
    """A broken report is thrown away whole, the next report's start with it."""

    def _read_report(self, ctx):
        try:
            return super()._read_report(ctx)
        finally:
            self._pending.clear()


class NoReopenMidSignature(Isdv4SignaturePad):
    def _reopen(self, ctx):
        raise LinkLost("the pad went away")


class NeverProbes(Isdv4SignaturePad):
    """Takes a silent pad for a citizen not writing, until the command's time is up."""

    def _probe(self, ctx, pen):
        pass


class NoIdentityCheck(Isdv4SignaturePad):
    def _identify(self, caps):
        self.capabilities = caps
        if self.identity is None:
            super()._identify(caps)


class TimeoutAsBadFrame(Isdv4SignaturePad):
    def _control(self, ctx, command, settle_s=pad.SETTLE_S):
        try:
            return super()._control(ctx, command, settle_s)
        except DeviceTimeout:
            raise ProtocolError("bad frame", "bad_frame") from None


class SkipsNoise(Isdv4SignaturePad):
    """Asks again past noise until a proper reply: noise then looks like a silent pad."""

    def _control(self, ctx, command, settle_s=pad.SETTLE_S):
        while True:
            try:
                return super()._control(ctx, command, settle_s)
            except ProtocolError:
                time.sleep(0.01)


class _Deaf(CommandContext):
    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class IgnoresCancel(Isdv4SignaturePad):
    def _capture(self, ctx, on_ink):
        return super()._capture(_Deaf(ctx), on_ink)


MUTANTS = {
    DropsLowBits: "signature captured",
    ButtonsAreInk: "sign again on the pad",
    DeafToTheScreen: "screen's buttons",
    EmptyIsSuccess: "no pen is a timeout",
    TrustsRanges: "out of range dropped",
    NoResync: "noise in the stream",
    NoReopenMidSignature: "link dropped mid-signature",
    NeverProbes: "dead pad is a timeout",
    NoIdentityCheck: "hot-plug identity",
    TimeoutAsBadFrame: "timeout is a timeout",
    SkipsNoise: "bad frames refused",
    IgnoresCancel: "cancel",
}
