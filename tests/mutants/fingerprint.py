"""Broken fingerprint drivers, each with one classic mistake (the first is the
known flaw of a popular client library: a timeout reported as a bad header)."""

from __future__ import annotations

from drivers.fingerprint import packets as pk
from drivers.fingerprint.driver import ModuleFailure, R30xFingerprint
from drivers.model import DeviceTimeout, LinkLost, ProtocolError
from drivers.worker import CommandContext


class TimeoutAsBadHeader(R30xFingerprint):
    def _instruction(self, ctx, code, params=b""):
        try:
            return super()._instruction(ctx, code, params)
        except DeviceTimeout:
            raise ProtocolError(
                "the received packet does not begin with a valid header", "bad_frame"
            ) from None


class AcceptsWrongChecksum(R30xFingerprint):
    def _read_packet(self, ctx):
        head = self.link.read(9, ctx)
        size = int.from_bytes(head[7:9], "big")
        body = self.link.read(size, ctx)
        return pk.Packet(head[6], body[:-2])


class PoorImageCallsTheOperator(R30xFingerprint):
    def _capture(self, ctx):
        try:
            return super()._capture(ctx)
        except Exception as exc:
            raise ModuleFailure(str(exc), "module_failed") from None


class IgnoresWrongPassword(R30xFingerprint):
    def _open(self, ctx):
        self._instruction(ctx, 0x13, self.password.to_bytes(4, "big"))
        return self._read_params(ctx)


class _Deaf(CommandContext):
    def __init__(self, ctx):
        super().__init__(ctx.deadline)


class IgnoresCancel(R30xFingerprint):
    def _capture(self, ctx):
        return super()._capture(_Deaf(ctx))


class NoReconnect(R30xFingerprint):
    def _instruction(self, ctx, code, params=b""):
        if not self.link.is_open:
            raise LinkLost("gone")
        return self._exchange(ctx, code, params)


MUTANTS = {
    TimeoutAsBadHeader: "timeout is a timeout",
    AcceptsWrongChecksum: "bad frames refused",
    PoorImageCallsTheOperator: "poor image",
    IgnoresWrongPassword: "wrong password",
    IgnoresCancel: "cancel",
    NoReconnect: "reconnect",
}
