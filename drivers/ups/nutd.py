"""A private Network UPS Tools in a folder of its own, on a loopback port: `upsd`
with a `dummy-ups` driver behind it, whose UPS is a text file (`kiosk.dev`) that
dummy-ups reads again whenever it changes. Nothing of the system's NUT is touched
(/usr/sbin/upsd is a wrapper that reads /etc/nut; the programs in /lib/nut are not)."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

NUT_BIN = Path("/lib/nut")
UPS_NAME = "kiosk"


def program(name: str) -> str:
    """The full path of a NUT program; FileNotFoundError names what is missing."""
    path = NUT_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is not installed (Debian nut-server)")
    return str(path)


class PrivateNut:
    def __init__(self, device_text: str, pollinterval: int = 2) -> None:
        """`pollinterval`: how often (s) dummy-ups looks at its .dev file again."""
        self.pollinterval = pollinterval
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-nut-"))
        self.state = self.root / "state"
        self.port = _free_port()
        self.device_file = self.root / f"{UPS_NAME}.dev"
        self.device_file.write_text(device_text)
        self.user = getpass.getuser()
        self._driver: subprocess.Popen[bytes] | None = None
        self._upsd: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "NUT_CONFPATH": str(self.root),
            "NUT_STATEPATH": str(self.state),
            "NUT_ALTPIDPATH": str(self.state),
        }

    def start(self) -> PrivateNut:
        self.state.mkdir(exist_ok=True)
        self.state.chmod(0o770)
        (self.root / "ups.conf").write_text(
            f"[{UPS_NAME}]\n driver = dummy-ups\n port = {self.device_file.name}\n"
            f' desc = "simulated UPS"\n pollinterval = {self.pollinterval}\n'
        )
        (self.root / "upsd.conf").write_text(f"LISTEN 127.0.0.1 {self.port}\nMAXAGE 5\n")
        users = self.root / "upsd.users"
        users.write_text("")
        users.chmod(0o600)
        (self.root / "nut.conf").write_text("MODE=standalone\n")
        self.start_driver()
        self.start_upsd()
        return self

    def start_driver(self) -> None:
        if self._driver is not None and self._driver.poll() is None:
            return
        self._driver = self._spawn(program("dummy-ups"), "-a", UPS_NAME, "-u", self.user, "-F")
        socket_file = self.state / f"dummy-ups-{UPS_NAME}"
        if not _wait(lambda: socket_file.exists(), 10):
            self.stop()
            raise RuntimeError("dummy-ups did not start")
        if self._upsd is not None and self._upsd.poll() is None:
            self.wait_for_data()

    def start_upsd(self) -> None:
        if self._upsd is not None and self._upsd.poll() is None:
            return
        self._upsd = self._spawn(program("upsd"), "-u", self.user, "-F")
        if not _wait(self._listening, 10):
            self.stop()
            raise RuntimeError("upsd did not start")
        self.wait_for_data()

    def wait_for_data(self, seconds: float = 10) -> None:
        """Until upsd hands out the UPS's data (not WAIT, not stale)."""

        def ready() -> bool:
            found = self.upsc("ups.status")
            return found.returncode == 0 and found.stdout.strip() not in ("", "WAIT")

        if not _wait(ready, seconds):
            raise RuntimeError("upsd has no data from dummy-ups")

    def stop_driver(self) -> None:
        _end(self._driver)
        self._driver = None

    def stop_upsd(self) -> None:
        _end(self._upsd)
        self._upsd = None

    def stop(self) -> None:
        self.stop_upsd()
        self.stop_driver()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def upsc(self, *args: str) -> subprocess.CompletedProcess[str]:
        """NUT's own client, on this upsd."""
        return subprocess.run(
            ["upsc", f"{UPS_NAME}@{self.server}", *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=self.environment,
        )

    def _spawn(self, *command: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            list(command),
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False


def _end(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(ready: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(0.05)
    return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
