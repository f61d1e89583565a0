"""The simulated A4 scanner: SANE's own `test` backend (libsane1), in a private SANE
configuration folder whose `dll.conf` lists only `test`, so the machine's scanners
are never touched. The driver reaches it as `test:0@<folder>` and scans through the
real `scanimage` and libsane: what the driver does in the field.

The profile is written as the backend's `test.conf`, which SANE reads at every
`scanimage`: the test picture, and the faults as the backend's own knobs:
`read-status-code` (SANE_STATUS_NO_DOCS, COVER_OPEN, JAMMED, DEVICE_BUSY, IO_ERROR:
the scan fails with it) and `read-delay` (the image comes slowly). A fault stays
until it is cleared (`set jam false` on the console, `clear()` in a test), as a jam
stays until a technician frees it.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

DEVICE = "test:0"
SLOW_DEFAULT_MS = 100  # per 64 KiB of image: an A4 page at 200 dpi in gray takes ~6 s
STATUS_OF = {  # profile field -> the SANE status the backend then returns
    "jam": "SANE_STATUS_JAMMED",
    "cover_open": "SANE_STATUS_COVER_OPEN",
    "no_paper": "SANE_STATUS_NO_DOCS",
    "busy": "SANE_STATUS_DEVICE_BUSY",
    "io_error": "SANE_STATUS_IO_ERROR",
}


@dataclass
class ScannerProfile:
    picture: str = "Color pattern"  # Solid black | Solid white | Color pattern | Grid
    jam: bool = False
    cover_open: bool = False
    no_paper: bool = False
    busy: bool = False
    io_error: bool = False
    slow_ms: int = 0  # how late each 64 KiB of the image comes (0: at once; 1..200)
    unplugged: bool = False  # SANE lists no scanner (dll.conf names no backend)

    def test_conf(self) -> str:
        """The profile as SANE's test backend reads it."""
        status = next((s for f, s in STATUS_OF.items() if getattr(self, f)), "Default")
        slow = max(1, min(200, self.slow_ms))
        return "\n".join(
            [
                "number_of_devices 1",  # (0 makes the backend crash: unplugged is dll.conf's)
                "mode Gray",
                "depth 8",
                "hand-scanner false",
                "three-pass false",
                "three-pass-order RGB",
                "resolution_min 1.0",
                "resolution_max 1200.0",
                "resolution_quant 1.0",
                "resolution 50.0",
                f'test-picture "{self.picture}"',
                "invert-endianess false",
                "read-limit false",
                "read-limit-size 1",
                f"read-delay {'true' if self.slow_ms > 0 else 'false'}",
                f"read-delay-duration {slow * 1000}",
                f'read-status-code "{status}"',
                "fuzzy-parameters false",
                "ppl-loss 0",
                "non-blocking false",
                "select-fd false",
                "enable-test-options false",
                "geometry_min 0.0",
                "geometry_max 300.0",  # an A4 page (210 x 297 mm) fits the glass
                "geometry_quant 1.0",
                "tl_x 0.0",
                "tl_y 0.0",
                "br_x 210.0",
                "br_y 297.0",
                "",
            ]
        )


class ScannerFaults:
    """The scanner's faults (drivers/faults.py) change its state at once: each scan
    is a new scanimage that reads the configuration again."""

    def __init__(self, simulator: SaneScannerSimulator, plan: object) -> None:
        self.simulator = simulator
        self.planned = [(spec.kind, spec.delay_ms) for spec in getattr(plan, "faults", [])]

    def inject(self, kind: str, delay_ms: int = 0) -> None:
        profile = self.simulator.profile
        if kind in STATUS_OF:
            setattr(profile, kind, True)
        elif kind == "slow_answer":
            profile.slow_ms = delay_ms or SLOW_DEFAULT_MS
        elif kind == "disconnect":
            threading.Thread(
                target=self.simulator.drop_link, args=((delay_ms or 2000) / 1000,), daemon=True
            ).start()
            return
        else:
            raise ValueError(f"the A4 scanner has no fault {kind}")
        self.simulator.save()


class SaneScannerSimulator:
    name = "scanner_a4"
    profile_class = ScannerProfile

    def __init__(self, profile: ScannerProfile | None = None, faults: object = None) -> None:
        self.profile = profile or ScannerProfile()
        self.faults = ScannerFaults(self, faults)
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-sane-"))

    @property
    def address(self) -> str:
        """What the driver opens: the SANE device @ the private configuration."""
        return f"{DEVICE}@{self.folder}"

    @property
    def config_dir(self) -> Path:
        return self.folder

    def start(self) -> SaneScannerSimulator:
        if shutil.which("scanimage") is None:
            raise RuntimeError("scanimage is not installed (Debian sane-utils)")
        for kind, delay_ms in self.faults.planned:
            if kind != "disconnect":
                self.faults.inject(kind, delay_ms)
        self.save()
        return self

    def save(self) -> None:
        """Write the profile where the test backend reads it (after changing it)."""
        for name, text in (
            ("test.conf", self.profile.test_conf()),
            ("dll.conf", "" if self.profile.unplugged else "test\n"),
        ):
            temporary = self.folder / f"{name}.new"
            temporary.write_text(text)
            temporary.replace(self.folder / name)

    def load(self) -> ScannerProfile:
        return self.profile

    def clear(self) -> None:
        """Every fault put right: the jam freed, the cover closed, paper there."""
        picture = self.profile.picture
        self.profile = ScannerProfile(picture=picture)
        self.save()

    def drop_link(self, down_s: float = 0.6) -> None:
        """The scanner leaves the bus and comes back (the live console's `drop`)."""
        self.profile.unplugged = True
        self.save()
        time.sleep(down_s)
        self.profile.unplugged = False
        self.save()

    def as_dict(self) -> dict[str, object]:
        return asdict(self.profile)

    def stop(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
