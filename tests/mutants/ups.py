"""Broken UPS drivers, each with one classic mistake."""

from __future__ import annotations

import time

from drivers.model import DeviceState, Status
from drivers.ups.driver import NutUps, UpsError, parse_status
from drivers.worker import CommandContext


class IgnoresLowBattery(NutUps):
    """Reads only OL / OB: the battery is always fine."""

    def _query(self, ctx):
        answer = super()._query(ctx)
        media = {**self.status.media, "battery": "ok"}
        self._set(Status(self.status.device, media))
        return {**answer, "battery": "ok"}


class StaleIsOnline(NutUps):
    """Takes DATA-STALE (upsd lost its UPS) for a UPS on mains."""

    def _query(self, ctx):
        try:
            return super()._query(ctx)
        except UpsError as exc:
            if exc.error not in ("data_stale", "driver_not_connected", "waiting"):
                raise
            self._set(Status(DeviceState.ONLINE, parse_status("OL")))
            return {**parse_status("OL"), "flags": "OL", "charge": None, "runtime_s": None}


class NeverTimesOut(NutUps):
    """Waits for upsd however long it takes."""

    def _line(self, ctx):
        assert self._sock is not None
        self._sock.settimeout(None)
        return super()._line(ctx)


class CancelIgnored(NutUps):
    """Watches to the end, whatever the shell says."""

    def _watch(self, ctx):
        before = self.status
        while self.status == before:
            time.sleep(0.5)
            self._query(CommandContext(time.monotonic() + 3))  # its own deadline, no cancel
        return {}


MUTANTS = {
    IgnoresLowBattery: "low battery",
    StaleIsOnline: "driver lost",
    NeverTimesOut: "timeout",
    CancelIgnored: "cancel",
}
