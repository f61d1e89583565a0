"""A virtual display for a terminal without a screen: Xvfb, shared on localhost only.

Qt's own VNC platform listens on every interface without a password, so it is
never used: the real app runs on Xvfb, and `x11vnc -localhost` shares that display
with this machine only (reach it through an SSH tunnel).
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import subprocess
import time
from types import TracebackType

from kiosk.errors import ServiceUnavailable

START_TIMEOUT_S = 15.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class VirtualDisplay:
    """Xvfb on a free display number, optionally shared by x11vnc on 127.0.0.1."""

    def __init__(self, width: int = 1080, height: int = 1920, depth: int = 24) -> None:
        self.size = (width, height, depth)
        self.display: str | None = None
        self.vnc_port: int | None = None
        self._xvfb: subprocess.Popen[bytes] | None = None
        self._vnc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start Xvfb; return the display name, e.g. ':3'."""
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise ServiceUnavailable("display.no_xvfb")
        width, height, depth = self.size
        read_end, write_end = os.pipe()
        try:
            # -displayfd: Xvfb picks a free display and writes its number when ready.
            self._xvfb = subprocess.Popen(
                [
                    xvfb,
                    "-displayfd",
                    str(write_end),
                    "-screen",
                    "0",
                    f"{width}x{height}x{depth}",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ],
                pass_fds=(write_end,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            os.close(write_end)
            number = _read_line(read_end, START_TIMEOUT_S)
        finally:
            os.close(read_end)
        if not number.strip().isdigit():
            self.stop()
            raise ServiceUnavailable("display.xvfb_failed")
        self.display = f":{number.strip()}"
        return self.display

    def share_on_localhost(self, first_port: int = 5900) -> int:
        """Share the display with x11vnc on 127.0.0.1; return the port it took."""
        x11vnc = shutil.which("x11vnc")
        if x11vnc is None or self.display is None:
            raise ServiceUnavailable("display.no_x11vnc")
        self._vnc = subprocess.Popen(
            [
                x11vnc,
                "-display",
                self.display,
                "-localhost",
                "-autoport",
                str(first_port),
                "-forever",
                "-shared",
                "-nopw",
                "-noxdamage",
                "-quiet",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        assert self._vnc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            line = _read_line(self._vnc.stdout.fileno(), deadline - time.monotonic())
            if line.startswith("PORT="):
                self.vnc_port = int(line.split("=", 1)[1])
                return self.vnc_port
            if not line:
                break
        self.stop()
        raise ServiceUnavailable("display.x11vnc_failed")

    def stop(self) -> None:
        for process in (self._vnc, self._xvfb):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._vnc = self._xvfb = None

    def __enter__(self) -> VirtualDisplay:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child: if the kiosk is killed outright, take Xvfb and x11vnc with it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _read_line(fd: int, timeout: float) -> str:
    """One line from a file descriptor, or what came before the timeout or EOF."""
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            break
        chunk = os.read(fd, 1)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").strip()
