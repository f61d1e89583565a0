"""pcscd with the vpcd virtual reader: the PC/SC stack a card simulator plugs into.

Only one pcscd can run per machine (1.9.9 ignores a private socket name, so its
socket is always /run/pcscd/pcscd.comm): whoever starts one takes a lock file, and
a pcscd left over by a killed run is cleared first. vpcd listens on all interfaces:
this belongs on development and test machines, never in the terminal's package.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

LOCK = Path("/tmp/kiosk-tests-pcscd.lock")
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PID_FILE = Path("/run/pcscd/pcscd.pid")
# vpcd's card ports: a card program connects here to appear in reader N.
VPCD_PORTS = (35963, 35964)
READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")


class PcscdError(RuntimeError):
    pass


def missing() -> str | None:
    """Why a pcscd with vpcd cannot be started here, or None."""
    if shutil.which("pcscd", path="/usr/sbin:/usr/bin:/sbin") is None:
        return "pcscd is not installed (Debian pcscd; make test installs it)"
    if not VPCD_DRIVER.exists():
        return "vpcd is not installed (Debian vsmartcard-vpcd; make test installs it)"
    if os.geteuid() != 0:
        return "pcscd's socket lives in /run/pcscd: starting it needs root"
    return None


def card_port_open(port: int = VPCD_PORTS[0]) -> bool:
    """Whether vpcd listens on `port`, read from /proc: connecting to find out would
    look to vpcd like a card put in and pulled out at once."""
    listening = f":{port:04X} "
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and (fields[1] + " ").endswith(listening) and fields[3] == "0A":
                return True
    return False


def _wait(ready: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise PcscdError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.1)


class PcscDaemon:
    def __init__(self, workdir: Path | None = None) -> None:
        self._owns_workdir = workdir is None  # made here: removed at stop
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="kiosk-pcscd-"))
        self.log = self.workdir / "pcscd.log"
        self._lock_fd: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.readers = READERS
        self.card_ports = VPCD_PORTS

    def start(self, lock_timeout: float = 300.0) -> PcscDaemon:
        reason = missing()
        if reason:
            raise PcscdError(reason)
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
            with self.log.open("ab") as log:
                self._process = subprocess.Popen(
                    [
                        shutil.which("pcscd", path="/usr/sbin:/usr/bin:/sbin") or "pcscd",
                        "--foreground",
                        "--config",
                        str(conf),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            _wait(lambda: all(card_port_open(p) for p in VPCD_PORTS), "pcscd with vpcd")
        except Exception as exc:
            self.stop()
            tail = self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""
            raise PcscdError(f"pcscd did not start: {exc}\n{tail}") from exc
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            self._process = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None
        if self._owns_workdir:  # its log and reader configuration go with it
            shutil.rmtree(self.workdir, ignore_errors=True)

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
                    raise PcscdError(f"another run holds {LOCK} for over {timeout:.0f} s") from None
                time.sleep(0.2)


def ensure_running() -> PcscDaemon | None:
    """A pcscd with vpcd, started here if none listens: the daemon to stop after,
    or None when one was already running (the system's, or a test fixture's)."""
    if card_port_open():
        return None
    return PcscDaemon().start()


def _clear_stale() -> None:
    """We hold the lock, so a running pcscd is stale (a killed run, or a system one)."""
    found = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, text=True).stdout
    for pid in (int(p) for p in found.split()):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    _wait(
        lambda: subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode != 0,
        "the stale pcscd to exit",
        timeout=10,
    )
    PID_FILE.unlink(missing_ok=True)
