"""Broken receipt-printer drivers, each with one classic mistake. The conformance
suite must fail every one of them, each by its own check."""

from __future__ import annotations

from drivers.model import DeviceTimeout, LinkLost, ProtocolError, Status, StatusChanged
from drivers.receipt_printer import escpos
from drivers.receipt_printer.driver import EscPosPrinter


class TimeoutAsBadFrame(EscPosPrinter):
    """Reports a device that did not answer as one that answered garbage."""

    def _status(self, ctx):
        try:
            return super()._status(ctx)
        except DeviceTimeout:
            raise ProtocolError("bad frame", "bad_frame") from None


class _Deaf:
    """A context that hears the deadline but not the cancel."""

    def __init__(self, ctx):
        self._ctx = ctx

    def check(self):
        if self._ctx.remaining() <= 0:
            raise DeviceTimeout("out of time")

    def remaining(self):
        return self._ctx.remaining()


class IgnoresCancel(EscPosPrinter):
    def _ask_status(self, ctx):
        return super()._ask_status(_Deaf(ctx))


class NoReconnect(EscPosPrinter):
    def _status(self, ctx):
        if not self.link.is_open:
            raise LinkLost("gone")
        answers = []
        for n in (1, 2, 4):
            self.link.write(escpos.status_request(n), ctx)
            answers.append(self.link.read(1, ctx)[0])
        media = escpos.decode_status(*answers)
        return media


class SwallowsError(EscPosPrinter):
    """Sends the slip and calls it printed, whatever the printer says after."""

    def _print(self, slip, ctx):
        media = self._status(ctx)
        self.link.write(escpos.encode_slip(slip), ctx)
        return media


class NoDebounce(EscPosPrinter):
    def _set(self, status: Status) -> None:
        if status != self.status:
            before, self.status = self.status, status
            self.on_event(StatusChanged(self.name, before, status))


class AcceptsBadFrame(EscPosPrinter):
    """Takes any byte as a status answer."""

    def _status(self, ctx):
        original = escpos.parse_status_byte
        escpos.parse_status_byte = lambda value: value
        try:
            return super()._status(ctx)
        finally:
            escpos.parse_status_byte = original


class TakesALateAnswer(EscPosPrinter):
    """Reads whatever byte comes first after its request, a late one included."""

    def _ask_status(self, ctx):
        if not self.link.is_open:
            self.link.reconnect(ctx)
        answers = []
        for n in (1, 2, 4):
            self.link.write(escpos.status_request(n), ctx)
            answers.append(self.link.read(1, ctx)[0])
        return answers


MUTANTS = {
    TimeoutAsBadFrame: "timeout is a timeout",
    IgnoresCancel: "cancel",
    TakesALateAnswer: "cancel",
    NoReconnect: "reconnect",
    SwallowsError: "error codes",
    NoDebounce: "debounce",
    AcceptsBadFrame: "bad frames refused",
}
