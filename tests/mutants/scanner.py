"""Broken code-scanner drivers, each with one classic mistake."""

from __future__ import annotations

from drivers.model import DeviceTimeout, LinkLost, ProtocolError
from drivers.scanner.codes import kind_of
from drivers.scanner.driver import SerialScanner
from drivers.worker import CommandContext


class LosesQueuedCodes(SerialScanner):
    """Flushes the port before each read: a code already on its way is lost."""

    def _read_code(self, ctx):
        self.link.drain_input()
        self._pending.clear()
        return super()._read_code(ctx)


class AcceptsGarbage(SerialScanner):
    def _read_code(self, ctx):
        self._open(ctx)
        text = self._line(ctx).decode("utf-8", errors="replace")
        return {"text": text, "kind": kind_of(text)}


class CrlfOnly(SerialScanner):
    """Waits for CRLF; a scanner set to CR never ends a code."""

    def _line(self, ctx):
        while b"\r\n" not in self._pending:
            self._pending += self.link.read(1, ctx)
        line, _, rest = bytes(self._pending).partition(b"\r\n")
        self._pending = bytearray(rest)
        return line


class TimeoutAsBadFrame(SerialScanner):
    def _read_code(self, ctx):
        try:
            return super()._read_code(ctx)
        except DeviceTimeout:
            raise ProtocolError("bad frame", "bad_frame") from None


class _Deaf(CommandContext):
    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class IgnoresCancel(SerialScanner):
    def _read_code(self, ctx):
        return super()._read_code(_Deaf(ctx))


class NoReconnect(SerialScanner):
    def _read_code(self, ctx):
        if not self.link.is_open:
            raise LinkLost("gone")
        text = self._line(ctx).decode("utf-8")
        return {"text": text, "kind": kind_of(text)}


MUTANTS = {
    LosesQueuedCodes: "codes in order",
    AcceptsGarbage: "garbage refused",
    CrlfOnly: "reads codes",
    TimeoutAsBadFrame: "timeout is a timeout",
    IgnoresCancel: "cancel",
    NoReconnect: "reconnect",
}
