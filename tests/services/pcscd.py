"""pcscd with the vpcd virtual reader: the PC/SC stack a card simulator plugs into.

Only one pcscd can run per machine (1.9.9 ignores a private socket name, so its
socket is always /run/pcscd/pcscd.comm): test runs take turns on a lock file, and
a pcscd left over by a killed run is cleared first.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.services.process import ServiceError, port_open, start, stop, tail, wait_until

LOCK = Path("/tmp/kiosk-tests-pcscd.lock")
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PID_FILE = Path("/run/pcscd/pcscd.pid")
# vpcd's card ports: a card program connects here to appear in reader N.
VPCD_PORTS = (35963, 35964)
READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")


def missing() -> str | None:
    if shutil.which("pcscd") is None:
        return "pcscd is not installed (make test installs packaging/apt-packages.txt)"
    if not VPCD_DRIVER.exists():
        return "vsmartcard-vpcd is not installed (make test installs it)"
    if os.geteuid() != 0:
        return "pcscd's socket lives in /run/pcscd: the pcscd tests need root"
    return None


class PcscDaemon:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.log = workdir / "pcscd.log"
        self._lock_fd: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.readers = READERS
        self.card_ports = VPCD_PORTS

    def start(self, lock_timeout: float = 300.0) -> None:
        self._take_turn(lock_timeout)
        try:
            _clear_stale()
            conf = self.workdir / "reader.conf.d"
            conf.mkdir(parents=True, exist_ok=True)
            (conf / "vpcd").write_text(
                'FRIENDLYNAME "Virtual PCD"\n'
                "DEVICENAME   /dev/null:0x8C7B\n"
                f"LIBPATH      {VPCD_DRIVER}\n"
                "CHANNELID    0x8C7B\n"
            )
            self._process = start(["pcscd", "--foreground", "--config", str(conf)], self.log)
            wait_until(lambda: all(port_open(p) for p in VPCD_PORTS), "pcscd with vpcd")
        except Exception as exc:
            self.stop()
            raise ServiceError(f"pcscd did not start: {exc}\n{tail(self.log)}") from exc

    def stop(self) -> None:
        stop(self._process)
        self._process = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def _take_turn(self, timeout: float) -> None:
        fd = os.open(LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock_fd = fd
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise ServiceError(
                        f"another test run holds {LOCK} for over {timeout:.0f} s"
                    ) from None
                time.sleep(0.2)


def _clear_stale() -> None:
    """We hold the lock, so a running pcscd is stale (a killed run, or a system one)."""
    found = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, text=True).stdout
    for pid in (int(p) for p in found.split()):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    wait_until(
        lambda: subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode != 0,
        "the stale pcscd to exit",
        timeout=10,
    )
    PID_FILE.unlink(missing_ok=True)
