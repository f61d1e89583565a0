"""Broken A4 scanner drivers, each with one classic mistake."""

from __future__ import annotations

from drivers.model import DeviceState, Status
from drivers.scanner_a4.driver import FINE, SaneScanner, ScanTrouble


class IgnoresAJam(SaneScanner):
    """Takes a jammed feeder for a page not there: asks the citizen again, forever."""

    def _run(self, ctx, args, busy=False):
        try:
            return super()._run(ctx, args, busy)
        except ScanTrouble as exc:
            if exc.error == "jam":
                raise ScanTrouble(str(exc), "no_paper", type(exc).code, exc.recovery) from None
            raise


class NeverTimesOut(SaneScanner):
    """Waits for scanimage however long it takes."""

    def _pump(self, ctx, process, out, err):
        stdout, stderr = process.communicate()
        out.extend(stdout)
        err.extend(stderr)


class EmptyImageIsSuccess(SaneScanner):
    """Whatever scanimage wrote is the page, even nothing."""

    def _run(self, ctx, args, busy=False):
        try:
            return super()._run(ctx, args, busy)
        except ScanTrouble:
            self._set(Status(DeviceState.ONLINE, FINE))
            return b"", ""

    def _scan(self, ctx, resolution, mode, size, probe=False):
        try:
            return super()._scan(ctx, resolution, mode, size, probe)
        except Exception:
            width, height = (int(mm / 25.4 * resolution) for mm in size)
            return {"png": b"", "width_px": width, "height_px": height, "resolution": resolution,
                    "mode": mode, "width_mm": size[0], "height_mm": size[1]}  # fmt: skip


class CancelLeavesTheScanRunning(SaneScanner):
    """Stops waiting on cancel, but the scanner goes on (and the next scan finds it busy)."""

    def _pump(self, ctx, process, out, err):
        try:
            super()._pump(ctx, process, out, err)
        except Exception:
            process.wait()  # the scan runs to its end before the cancel is told
            raise


class ForgetsTheScanner(SaneScanner):
    """Never looks whether the scanner is there: an unplugged one is a failed scan."""

    def _identify(self, ctx):
        self.identity = self.identity or "unknown"


MUTANTS = {
    IgnoresAJam: "jam",
    NeverTimesOut: "timeout",
    EmptyImageIsSuccess: "no paper",
    CancelLeavesTheScanRunning: "cancel mid-scan",
    ForgetsTheScanner: "unplugged",
}
