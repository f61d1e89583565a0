"""The base of every serial simulator: the far end of a pty pair, speaking the
device's wire protocol, with seeded, scriptable faults.

The simulator publishes a stable path (a symlink, like /dev/serial/by-id/...) to
its current /dev/pts/N. A dropped link closes the pty and makes a new one behind
the same path, as an unplugged USB-serial adapter coming back does.

A pty has no wire: it moves any number of bytes at once, whatever rate the client
set. So, unless `pacing` is off, the simulator keeps its own UART's time: bytes go
out and are taken in at the device's line rate (8N1: 10 bits a byte), the device's
own work (a SAM reading a card) takes its profile's time, and a client whose rate
(the termios speed of its end of the pty) is not the device's gets what a real
UART gets: framing errors, never a frame.
"""

from __future__ import annotations

import os
import pty
import random
import re
import select
import shutil
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from drivers.config import FaultKind, FaultSpec
from drivers.faults import SLOW_ANSWER_MS

BITS_PER_BYTE = 10  # 8N1: a start bit, 8 data bits, a stop bit
TICK_S = 0.005  # the wire is paced in slices of this much line time
RATE_TOLERANCE = 0.03  # a UART still samples right a few per cent off its rate
# termios speed codes (B9600 is 13, not 9600) and back
SPEEDS = {
    getattr(termios, name): int(name[1:]) for name in dir(termios) if re.fullmatch(r"B\d+", name)
}
SPEED_CODES = {rate: code for code, rate in SPEEDS.items()}
ISPEED, OSPEED = 4, 5  # in termios.tcgetattr's list
# What a UART makes of a line at the wrong rate: bytes with framing errors (Linux
# hands them up as 0x00 without PARMRK) and stop bits sampled mid-byte (runs of
# ones). None of them is printable, a line end, or starts a frame of any of our
# protocols (AA, EF 01, STX, ACK, NAK, DLE): a client at the wrong rate can never
# take noise for an answer.
NOISE = bytes([0x00, 0x80, 0xC0, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE, 0xFF])


class FaultPlan:
    """Which fault, if any, strikes the next command. Seeded: runs are repeatable."""

    def __init__(self, faults: list[FaultSpec] | None = None, seed: int = 0) -> None:
        self.faults = list(faults or [])
        self.seed = seed
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
    """Override `handle(data) -> bytes` (what the device answers to what it got), and
    `line_rate()` when the device's rate is in its profile.

    `pacing=False` runs as fast as the pty goes (no wire time, no device time, no
    rate check): for a test of protocol logic only; everything else runs paced.
    """

    name = "device"
    baudrate = 115200  # the device's factory rate, unless `line_rate` says otherwise
    slow_answer_ms = SLOW_ANSWER_MS  # `slow_answer` with no delay_ms: past a status timeout

    def __init__(
        self, faults: FaultPlan | None = None, folder: Path | None = None, *, pacing: bool = True
    ) -> None:
        self.faults = faults or FaultPlan()
        self.pacing = pacing
        # the device's own times are drawn apart from the fault plan's draws, so the
        # faults of a seeded run are the same with pacing on or off
        self.timing = random.Random(self.faults.seed)
        self.framing_errors = 0  # bytes that came in at the wrong rate
        self._tx_lock = threading.Lock()  # one UART: two answers never interleave
        self._rx_idle_at = 0.0  # when the last byte read is through the wire
        self._plugged = 0  # which pty: a reply cut by a dropped link is not resumed
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

    def line_rate(self) -> int:
        """Bits per second of the device's UART now."""
        return self.baudrate

    def wire_time(self, size: int) -> float:
        """Seconds `size` bytes take on the wire at the device's rate."""
        return size * BITS_PER_BYTE / self.line_rate()

    def send(self, data: bytes) -> None:
        """Put bytes on the wire. Paced, a byte is the client's once its stop bit is
        through, and a client at another rate gets noise in the same time."""
        if not self.pacing:
            with self._lock:
                if self._master is not None:
                    os.write(self._master, data)
            return
        with self._tx_lock:
            rate, seconds = self.line_rate(), self.wire_time(len(data))
            client = self._client_rate(ISPEED)
            if client is not None and not same_rate(client, rate):
                data = self._noise(len(data), client / rate)
            self._transmit(data, seconds)

    def busy(self, low_s: float, high_s: float | None = None) -> None:
        """The device at work (a SAM reading a card, a sensor taking an image) for
        `low_s`, or a seeded draw between `low_s` and `high_s`; it answers nothing
        meanwhile. No time when pacing is off."""
        if self.pacing:
            seconds = low_s if high_s is None else self.timing.uniform(low_s, max(low_s, high_s))
            self._stop.wait(max(0.0, seconds))

    def handle(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _open_pty(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        # the pty starts at the device's rate, not 38400: bytes sent before a client
        # opens it (a code shown early) are waiting as sent, as a UART's FIFO holds them
        attributes = termios.tcgetattr(slave)
        code = SPEED_CODES.get(self.line_rate())
        if code is not None:
            attributes[ISPEED] = attributes[OSPEED] = code
            termios.tcsetattr(slave, termios.TCSANOW, attributes)
        self._master, self._slave = master, slave
        self._plugged += 1
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
            # paced, a slice of line time at a time: a long job is taken in as a UART
            # does, and a client writing more than the pty holds waits, as on a real port
            size = max(1, int(self.line_rate() * TICK_S / BITS_PER_BYTE)) if self.pacing else 4096
            try:
                ready = select.select([master], [], [], 0.05)[0]
                data = os.read(master, size) if ready else b""
            except OSError:
                time.sleep(0.01)  # the pty is being replaced (a dropped link)
                continue
            if data and self.pacing:
                data = self._receive(data)
            if data:
                reply = self.handle(data)
                if reply:
                    self._answer(reply)

    def _answer(self, reply: bytes, end: bytes = b"") -> None:
        """Send a reply through the fault plan; `end` (a line end) survives garbage."""
        self.send_bent(reply, self.faults.next(), end)

    def send_bent(
        self,
        reply: bytes,
        fault: FaultSpec | None,
        end: bytes = b"",
        noise: Sequence[int] = range(256),
    ) -> None:
        """Send a reply as a wire fault bends it; a frame protocol draws the fault before
        the command runs (a device fault strikes the command itself) and bends after.
        Garbage is drawn from `noise` (a protocol may keep its control bytes out)."""
        if fault is None:
            self.send(reply + end)
        elif fault.kind == "no_answer":
            return
        elif fault.kind == "slow_answer":
            # with no delay given, late enough that a driver's status timeout strikes
            self._stop.wait((fault.delay_ms or self.slow_answer_ms) / 1000)
            self.send(reply + end)
        elif fault.kind == "garbage":
            garbage = bytes(self.faults.random.choice(noise) for _ in range(len(reply)))
            self.send(garbage.replace(b"\r", b"\x00").replace(b"\n", b"\x00") + end)
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

    # --- the wire's time --------------------------------------------------------------

    def _client_rate(self, which: int) -> int | None:
        """The rate the client set on its end of the pty (ISPEED: it receives at,
        OSPEED: it sends at); 0 for a rate we have no code for, None with no pty."""
        with self._lock:
            if self._slave is None:
                return None
            try:
                speed = termios.tcgetattr(self._slave)[which]
            except termios.error:
                return None
        return SPEEDS.get(speed, 0)

    def _receive(self, data: bytes) -> bytes:
        """Bytes the client wrote, once they are through the wire; nothing (framing
        errors) if the client sends at another rate than the device's."""
        rate, client = self.line_rate(), self._client_rate(OSPEED)
        if client is not None and not same_rate(client, rate):
            self.framing_errors += len(data)
            return b""
        # from when they are read: bytes that waited in the pty while the device was
        # busy are charged their wire time late, at most a slice each
        now = time.monotonic()
        self._rx_idle_at = max(now, self._rx_idle_at) + self.wire_time(len(data))
        self._stop.wait(self._rx_idle_at - now)
        return data

    def _transmit(self, data: bytes, seconds: float) -> None:
        """Write `data` over `seconds`, a slice at a time, each slice when its last
        byte is through; a dropped link (or stop) loses the rest, as on a real line."""
        started, per_byte = time.monotonic(), seconds / max(1, len(data))
        step = max(1, int(TICK_S / per_byte)) if per_byte > 0 else max(1, len(data))
        with self._lock:
            plugged = self._plugged
        for at in range(0, len(data), step):
            chunk = data[at : at + step]
            if self._stop.wait(max(0.0, started + (at + len(chunk)) * per_byte - time.monotonic())):
                return
            with self._lock:
                if self._master is None or self._plugged != plugged:
                    return
                os.write(self._master, chunk)

    def _noise(self, size: int, ratio: float) -> bytes:
        """What a UART `ratio` times the device's rate makes of `size` bytes: fewer
        bytes when it is slower (a start bit spans several device bytes), never more
        than were sent."""
        count = max(1, round(size * min(1.0, ratio)))
        return bytes(self.timing.choice(NOISE) for _ in range(count))


def same_rate(client: int, device: int) -> bool:
    return abs(client - device) <= device * RATE_TOLERANCE
