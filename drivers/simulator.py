"""The base of every serial simulator: the far end of a pty pair, speaking the
device's wire protocol, with seeded, scriptable faults.

The simulator publishes a stable path (a symlink, like /dev/serial/by-id/...) to
its current /dev/pts/N. A dropped link closes the pty and makes a new one behind
the same path, as an unplugged USB-serial adapter coming back does.
"""

from __future__ import annotations

import os
import pty
import random
import select
import shutil
import tempfile
import threading
import time
import tty
from pathlib import Path
from typing import Self

from drivers.config import FaultKind, FaultSpec


class FaultPlan:
    """Which fault, if any, strikes the next command. Seeded: runs are repeatable."""

    def __init__(self, faults: list[FaultSpec] | None = None, seed: int = 0) -> None:
        self.faults = list(faults or [])
        self.random = random.Random(seed)
        self.commands = 0
        self._once: list[FaultSpec] = []
        self._lock = threading.Lock()

    def inject(self, kind: FaultKind, delay_ms: int = 0) -> None:
        """Strike the next command once (tests and the live console use this)."""
        with self._lock:
            self._once.append(FaultSpec(kind=kind, delay_ms=delay_ms))

    def next(self) -> FaultSpec | None:
        with self._lock:
            self.commands += 1
            if self._once:
                return self._once.pop(0)
            for fault in self.faults:
                if self.commands > fault.after_commands and self.random.random() < (
                    fault.probability
                ):
                    return fault
            return None


class PtySimulator:
    """Override `handle(data) -> bytes` (what the device answers to what it got)."""

    name = "device"

    def __init__(self, faults: FaultPlan | None = None, folder: Path | None = None) -> None:
        self.faults = faults or FaultPlan()
        self._owns_folder = folder is None
        self.folder = folder or Path(tempfile.mkdtemp(prefix=f"kiosk-sim-{self.name}-"))
        self.link = self.folder / f"tty-{self.name}"  # the stable path drivers open
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        """What a driver opens: the stable path."""
        return str(self.link)

    @property
    def pts(self) -> str:
        return os.path.realpath(self.link)

    def start(self) -> Self:
        self._open_pty()
        self._thread = threading.Thread(target=self._serve, name=f"sim-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close_pty()
        self.link.unlink(missing_ok=True)
        if self._owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def drop_link(self, down_s: float = 0.3) -> None:
        """Unplug for a while, then come back as a new pty behind the same path."""
        with self._lock:
            self._close_pty()
            self.link.unlink(missing_ok=True)
        time.sleep(down_s)
        with self._lock:
            self._open_pty()

    def send(self, data: bytes) -> None:
        with self._lock:
            if self._master is not None:
                os.write(self._master, data)

    def handle(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _open_pty(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self._master, self._slave = master, slave
        temporary = self.link.with_suffix(".new")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(os.ttyname(slave))
        temporary.replace(self.link)

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None

    def _serve(self) -> None:
        while not self._stop.is_set():
            master = self._master
            if master is None:
                time.sleep(0.01)
                continue
            try:
                ready = select.select([master], [], [], 0.05)[0]
                data = os.read(master, 4096) if ready else b""
            except OSError:
                time.sleep(0.01)  # the pty is being replaced (a dropped link)
                continue
            if data:
                reply = self.handle(data)
                if reply:
                    self._answer(reply)

    def _answer(self, reply: bytes, end: bytes = b"") -> None:
        """Send a reply through the fault plan; `end` (a line end) survives garbage."""
        fault = self.faults.next()
        if fault is None:
            self.send(reply + end)
        elif fault.kind == "no_answer":
            return
        elif fault.kind == "slow_answer":
            time.sleep(fault.delay_ms / 1000)
            self.send(reply + end)
        elif fault.kind == "garbage":
            noise = bytes(self.faults.random.randrange(256) for _ in range(len(reply)))
            self.send(noise.replace(b"\r", b"\x00").replace(b"\n", b"\x00") + end)
        elif fault.kind == "truncated":
            self.send(reply[: len(reply) // 2])
        elif fault.kind == "bad_checksum":
            self.send(reply[:-1] + bytes([reply[-1] ^ 0xFF]) + end)
        elif fault.kind == "dropped_link":
            threading.Thread(target=self.drop_link, daemon=True).start()
        else:
            self.device_fault(fault.kind)
            self.send(reply + end)

    def device_fault(self, kind: str) -> None:
        """Faults of the device itself (paper out, card pulled): the device class's."""
