"""The A4 document scanner driver, through SANE's own frontend `scanimage` (sane-utils).

`port` names the SANE device (`epson2:libusb:001:004`, `test:0`), optionally with the
SANE configuration folder to use after an `@` (`test:0@/tmp/kiosk-sane-x`: the
simulator's, whose `dll.conf` lists only the `test` backend); without one, SANE's own
(/etc/sane.d).

A scan is one page: `scanimage --format=png` at the resolution, mode (color, gray)
and page size (mm) asked for, read from its pipe into memory (the page is personal
data: it never touches the disk). What comes back is checked: a whole PNG, of the
size asked for. `scanimage` ends with the SANE status as its exit code, which
becomes the completion: SANE_STATUS_NO_DOCS (no paper) and COVER_OPEN are the
citizen's to put right (`user_error`); JAMMED and IO_ERROR are the device's
(`hardware_error`); DEVICE_BUSY is `busy`; a device SANE cannot open is `no_device`.
Cancel and timeout end the scan (SIGTERM: scanimage calls sane_cancel), so the
scanner stops at once and nothing half-scanned is kept.

Status, two levels: the device, and its media `cover` (closed, open, unknown) and
`feeder` (ok, empty, jammed, unknown). A status query lists the device (its identity:
SANE's vendor and model, as a USB device's vid:pid) and makes a 1 mm probe scan, as
the cover and feeder are only seen by scanning; a scan lists it first too, so an
unplugged or swapped scanner is noticed before a citizen's page.
"""

from __future__ import annotations

import os
import selectors
import signal
import struct
import subprocess
import time
from collections.abc import Callable
from typing import Any

from drivers.model import (
    Canceled,
    Code,
    DeviceError,
    DeviceState,
    DeviceSwapped,
    DeviceTimeout,
    LinkLost,
    ProtocolError,
    Recovery,
    Status,
    StatusChanged,
)
from drivers.worker import CommandContext, CommandHandle, DeviceWorker

SCANIMAGE = "scanimage"
MODES = {"color": "Color", "gray": "Gray"}
PAGES_MM = {"a4": (210.0, 297.0), "a5": (148.0, 210.0)}
MAX_IMAGE = 256 * 1024 * 1024  # an A4 page in colour at 600 dpi is ~100 MB raw
SIZE_SLACK = 0.02  # a scanner rounds the page to its steps: 2 % either way
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SLICE_S = 0.05  # the scan is looked at this often for cancel and deadline
# A backend may hang in sane_cancel after it reported an error (SANE's own `test`
# backend does, now and then): once scanimage has said the status, it gets this long
# to end, then it is ended and the status it said stands.
SAID_GRACE_S = 1.0
SAID = {  # sane_strstatus() -> the SANE status, as scanimage prints it on stderr
    "Operation not supported": 1,
    "Operation was cancelled": 2,
    "Device busy": 3,
    "Invalid argument": 4,
    "Document feeder jammed": 6,
    "Document feeder out of documents": 7,
    "Scanner cover is open": 8,
    "Error during device I/O": 9,
    "Out of memory": 10,
    "Access to resource has been denied": 11,
}

# SANE_Status (sane.h), scanimage's exit code -> (error, generic code, recovery, state)
SANE_STATUS: dict[int, tuple[str, Code, Recovery, DeviceState]] = {
    1: ("unsupported", Code.UNSUPPORTED, Recovery.OPERATOR, DeviceState.HARDWARE_ERROR),
    2: ("canceled", Code.CANCELED, Recovery.NONE, DeviceState.ONLINE),
    3: ("busy", Code.DEVICE_NOT_READY, Recovery.RETRY, DeviceState.BUSY),
    4: ("invalid", Code.INVALID_DATA, Recovery.OPERATOR, DeviceState.ONLINE),
    6: ("jam", Code.HARDWARE_ERROR, Recovery.OPERATOR, DeviceState.HARDWARE_ERROR),
    7: ("no_paper", Code.USER_ERROR, Recovery.USER_ACTION, DeviceState.USER_ERROR),
    8: ("cover_open", Code.USER_ERROR, Recovery.USER_ACTION, DeviceState.USER_ERROR),
    9: ("io_error", Code.HARDWARE_ERROR, Recovery.RETRY, DeviceState.HARDWARE_ERROR),
    10: ("no_memory", Code.HARDWARE_ERROR, Recovery.OPERATOR, DeviceState.HARDWARE_ERROR),
    11: ("access_denied", Code.DEVICE_NOT_READY, Recovery.OPERATOR, DeviceState.OFFLINE),
}
MEDIA = {  # what each error says of the cover and the feeder
    "jam": {"cover": "closed", "feeder": "jammed"},
    "no_paper": {"cover": "closed", "feeder": "empty"},
    "cover_open": {"cover": "open", "feeder": "unknown"},
}
UNKNOWN = {"cover": "unknown", "feeder": "unknown"}
FINE = {"cover": "closed", "feeder": "ok"}


class ScanTrouble(DeviceError):
    """scanimage ended with a SANE status other than good."""

    def __init__(self, message: str, error: str, code: Code, recovery: Recovery) -> None:
        super().__init__(message, error)
        self.code = code
        self.recovery = recovery


def png_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) of a whole PNG; ProtocolError for anything else
    (nothing, a cut-off image, another format)."""
    if len(data) < 8 + 25 + 12 or not data.startswith(PNG_SIGNATURE):
        raise ProtocolError(f"not a PNG image ({len(data)} bytes)", "bad_image")
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise ProtocolError("a PNG without its header", "bad_image")
    width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
    if data[-12:] != b"\x00\x00\x00\x00IEND\xaeB`\x82":
        raise ProtocolError("the image stops half-way (no IEND)", "bad_image")
    if width == 0 or height == 0:
        raise ProtocolError("an image of no pixels", "bad_image")
    return width, height, colour


def expected_pixels(mm: float, resolution: int) -> int:
    return int(mm / 25.4 * resolution)


class SaneScanner:
    """`scanner_a4` driver. Config: `port` (or `uri`) = the SANE device name,
    optionally `@/sane/config/folder`."""

    device_class = "scanner_a4"

    def __init__(
        self, port: str, name: str = "scanner_a4", on_event: Callable[[Any], None] | None = None
    ) -> None:
        self.name = name
        device, at, folder = port.rpartition("@")
        self.config_dir: str | None
        if at and folder.startswith("/") and device:
            self.device, self.config_dir = device, folder
        else:
            self.device, self.config_dir = port, None
        if not self.device:
            raise ValueError("no SANE device named")
        self.on_event = on_event or (lambda event: None)
        self.worker = DeviceWorker(name, self.on_event)
        self.status = Status(DeviceState.STARTING)
        self.identity: str | None = None  # SANE's vendor:model of the device

    # --- commands -----------------------------------------------------------------

    def open(self, timeout_s: float = 10.0) -> CommandHandle:
        return self.worker.submit("open", self._status, timeout_s)

    def query_status(self, timeout_s: float = 10.0) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def self_test(self, timeout_s: float = 10.0) -> CommandHandle:
        return self.query_status(timeout_s)

    def scan(
        self,
        resolution: int = 200,
        mode: str = "color",
        page: str | tuple[float, float] = "a4",
        timeout_s: float = 60.0,
    ) -> CommandHandle:
        """One page. Its data: `png` (bytes), `width_px`, `height_px`, `resolution`,
        `mode`, `width_mm`, `height_mm`."""
        size = PAGES_MM[page] if isinstance(page, str) else page
        return self.worker.submit(
            "scan", lambda ctx: self._scan(ctx, resolution, mode, size), timeout_s
        )

    def close(self) -> None:
        self.worker.stop()

    # --- on the worker ------------------------------------------------------------

    def _status(self, ctx: CommandContext) -> dict[str, Any]:
        self._identify(ctx)
        self._scan(ctx, 50, "gray", (1.0, 1.0), probe=True)  # cover and feeder
        return {"identity": self.identity, **self.status.media}

    def _identify(self, ctx: CommandContext) -> None:
        listing, _ = self._run(ctx, ["-f", "%d\t%v\t%m%n", "-L"])
        found = {}
        for line in listing.decode("utf-8", "replace").splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                found[parts[0]] = f"{parts[1]}:{parts[2]}"
        identity = found.get(self.device)
        if identity is None:
            self._set(Status(DeviceState.NO_DEVICE, UNKNOWN))
            raise LinkLost(f"SANE has no device {self.device}", "no_device")
        if self.identity is not None and identity != self.identity:
            self.on_event(DeviceSwapped(self.name, self.identity, identity))
        self.identity = identity

    def _scan(
        self,
        ctx: CommandContext,
        resolution: int,
        mode: str,
        size: tuple[float, float],
        probe: bool = False,
    ) -> dict[str, Any]:
        if mode not in MODES:
            raise DeviceError(f"no scan mode {mode}", "bad_mode")
        width_mm, height_mm = size
        if not probe:  # the scanner there, and the same one (a citizen's page follows)
            self._identify(ctx)
        args = ["-d", self.device, "--format=png", "--mode", MODES[mode]]
        args += ["--resolution", str(resolution), "-l", "0", "-t", "0"]
        args += ["-x", f"{width_mm:g}", "-y", f"{height_mm:g}"]
        png, _ = self._run(
            ctx,
            args,
            busy=not probe,
        )
        width, height, colour = png_size(png)
        if probe:  # a scanner may round a 1 mm probe up to its smallest area
            self._set(Status(DeviceState.ONLINE, FINE))
            return {}
        want = (expected_pixels(width_mm, resolution), expected_pixels(height_mm, resolution))
        for got, asked in zip((width, height), want, strict=True):
            if abs(got - asked) > max(2, asked * SIZE_SLACK):
                raise ProtocolError(
                    f"a {width}x{height} image for a {want[0]}x{want[1]} page", "wrong_size"
                )
        if (colour in (2, 6)) != (mode == "color"):
            raise ProtocolError(f"a PNG of colour type {colour} for {mode}", "wrong_mode")
        self._set(Status(DeviceState.ONLINE, FINE))
        return {
            "png": png,
            "width_px": width,
            "height_px": height,
            "resolution": resolution,
            "mode": mode,
            "width_mm": width_mm,
            "height_mm": height_mm,
        }

    def _run(self, ctx: CommandContext, args: list[str], busy: bool = False) -> tuple[bytes, str]:
        """scanimage with `args`, its output read into memory while the command's
        deadline and cancel are watched; a SANE status other than good raised."""
        ctx.check()
        env = dict(os.environ)
        if self.config_dir is not None:
            env["SANE_CONFIG_DIR"] = self.config_dir  # that folder alone
        try:
            process = subprocess.Popen(
                [SCANIMAGE, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,  # a Ctrl-C at the terminal is not the scanner's
            )
        except FileNotFoundError:
            self._set(Status(DeviceState.NO_DEVICE, UNKNOWN))
            raise LinkLost("scanimage is not installed (Debian sane-utils)", "no_device") from None
        if busy:
            self._set(Status(DeviceState.BUSY, self.status.media or UNKNOWN))
        out, err = bytearray(), bytearray()
        try:
            self._pump(ctx, process, out, err)
        except DeviceError as exc:
            _stop(process)
            out.clear()  # half a page is nobody's
            if isinstance(exc, DeviceTimeout):
                self._set(Status(DeviceState.OFFLINE, UNKNOWN))
            elif isinstance(exc, Canceled):
                self._set(Status(DeviceState.ONLINE, self.status.media or UNKNOWN))
            raise
        finally:
            _close(process)
        exited = process.poll()
        said = said_status(err)
        if exited is None:  # it said its status and hangs: ended, the status stands
            _stop(process, gently=False)
        # what it said, whatever its exit
        rc = said if said is not None else exited if exited is not None else 9
        message = err.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit {rc}"
        if rc == 0:
            return bytes(out), detail
        out.clear()
        if any("open of device" in line for line in message):
            self._set(Status(DeviceState.NO_DEVICE, UNKNOWN))
            raise LinkLost(f"scanimage: {detail}", "no_device")
        error, code, recovery, state = SANE_STATUS.get(
            rc, ("scan_failed", Code.HARDWARE_ERROR, Recovery.OPERATOR, DeviceState.HARDWARE_ERROR)
        )
        self._set(Status(state, MEDIA.get(error, UNKNOWN)))
        raise ScanTrouble(f"scanimage: {detail}", error, code, recovery)

    @staticmethod
    def _pump(
        ctx: CommandContext, process: subprocess.Popen[bytes], out: bytearray, err: bytearray
    ) -> None:
        assert process.stdout is not None and process.stderr is not None
        said: float | None = None  # when scanimage said an error status
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ, out)
            selector.register(process.stderr, selectors.EVENT_READ, err)
            while selector.get_map():
                ctx.check()
                for key, _ in selector.select(max(0.0, min(SLICE_S, ctx.remaining()))):
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    key.data.extend(chunk)
                    if len(out) > MAX_IMAGE or len(err) > 1 << 16:
                        raise ProtocolError("scanimage wrote more than a page", "bad_image")
                if said_status(err) is not None and said is None:
                    said = time.monotonic()
                if said is not None and time.monotonic() - said > SAID_GRACE_S:
                    return  # scanimage hangs after saying why: _run ends it
        while process.poll() is None:  # its pipes closed; it is ending
            ctx.check()
            try:
                process.wait(SLICE_S)
            except subprocess.TimeoutExpired:
                if said is not None and time.monotonic() - said > SAID_GRACE_S:
                    return

    def _set(self, status: Status) -> None:
        if status != self.status:
            before, self.status = self.status, status
            self.on_event(StatusChanged(self.name, before, status))


def said_status(err: bytes | bytearray) -> int | None:
    """The SANE status scanimage printed (`scanimage: sane_read: Device busy`)."""
    for line in bytes(err).decode("utf-8", "replace").splitlines():
        for text, status in SAID.items():
            if line.startswith("scanimage: sane_") and line.endswith(": " + text):
                return status
    return None


def _stop(process: subprocess.Popen[bytes], gently: bool = True) -> None:
    """End a scan: SIGTERM (scanimage cancels the scan with sane_cancel), then kill;
    one that hangs already is killed at once."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM if gently else signal.SIGKILL)
            process.wait(1.0)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def _close(process: subprocess.Popen[bytes]) -> None:
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
