"""The display's backlight, turned down while the screen sleeps at night (ui/sleep.py).

The kiosk runs as an unprivileged user, and /sys/class/backlight is root's (and
read-only in the unit's sandbox); logind lets the user of a session set it:
org.freedesktop.login1.Session.SetBrightness on the caller's own session. The call
goes through busctl (systemd's, on every terminal): PySide6's QtDBus sends a Python
int as int32, never the uint32 the method takes, and logind refuses the call.

With no backlight device, no busctl or no logind, the screen only goes black: said
once in the log, at INFO, and nothing more is tried.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger("kiosk.backlight")

SYSFS = Path("/sys/class/backlight")
LOGIND = (
    "org.freedesktop.login1",
    "/org/freedesktop/login1/session/auto",  # the session the caller runs in
    "org.freedesktop.login1.Session",
    "SetBrightness",
)
# A laptop-style panel can list more than one device: the firmware's interface
# drives the panel itself, a raw one may be a second, unconnected output (the order
# systemd-backlight and desktops prefer).
PREFERRED = {"firmware": 0, "platform": 1, "raw": 2}
# The call runs on the screen's thread: logind answers in milliseconds, and a hung
# bus must not freeze the touchscreen for longer than this.
TIMEOUT_S = 3.0


class Backlight:
    """`dim()` turns the backlight off, `restore()` back to what it was."""

    def __init__(self, root: Path = SYSFS, bus_address: str | None = None) -> None:
        self.root = root
        self.bus_address = bus_address  # None: the system bus (tests: a private one)
        self._device: str | None = None
        self._saved: int | None = None  # the brightness before dim()
        self._unusable = False  # why was logged once; nothing more is tried

    def dim(self) -> None:
        device = self._find()
        if device is None or self._saved is not None:
            return
        try:
            current = int((self.root / device / "brightness").read_text())
        except (OSError, ValueError) as exc:
            self._give_up(f"cannot read {self.root / device / 'brightness'}: {exc}")
            return
        if self._set(device, 0):
            self._saved = current

    def restore(self) -> None:
        if self._device is None or self._saved is None:
            return
        saved, self._saved = self._saved, None
        if not self._set(self._device, saved):
            # the terminal cannot be read by day: a technician must know
            log.error("the backlight could not be turned back up to %d", saved)

    def _find(self) -> str | None:
        if self._unusable:
            return None
        if self._device is not None:
            return self._device
        try:
            found = [p for p in self.root.iterdir() if (p / "max_brightness").is_file()]
        except OSError:
            found = []
        if not found:
            self._give_up(f"no backlight device in {self.root}")
            return None
        best = min(found, key=lambda p: (PREFERRED.get(_read(p / "type"), 3), p.name))
        self._device = best.name
        return self._device

    def _set(self, device: str, brightness: int) -> bool:
        """logind's SetBrightness; False (and logged once) when it could not be done."""
        bus = [f"--address={self.bus_address}"] if self.bus_address else []
        command = ["busctl", *bus, "call", *LOGIND, "ssu", "backlight", device, str(brightness)]
        try:
            subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
        except FileNotFoundError:
            self._give_up("no busctl (systemd) to ask logind")
        except subprocess.CalledProcessError as exc:
            self._give_up(f"logind: {exc.stderr.strip() or exc.returncode}")
        except subprocess.TimeoutExpired:
            self._give_up(f"logind did not answer within {TIMEOUT_S:g} s")
        else:
            return True
        return False

    def _give_up(self, why: str) -> None:
        if not self._unusable:
            self._unusable = True
            log.info("the backlight stays as it is while the screen sleeps: %s", why)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
