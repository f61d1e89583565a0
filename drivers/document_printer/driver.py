"""The A4 document printer driver, through CUPS (`lp`, `lpstat`, `cancel`, `cupsenable`).

`port` names the CUPS server and queue: `host:port/queue` (`localhost:631/a4` on a
terminal). A job is followed to its end: done, or the queue stopped with a reason
(media-empty, media-jam, door-open, offline), which becomes the job's error; a job
that does not finish in time is cancelled, so it cannot come out later for the next
citizen. Toner low is a warning in the status, not an error.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

from drivers.document_printer.cupsd import tool as cups_tool
from drivers.model import (
    Code,
    DeviceError,
    DeviceState,
    DeviceTimeout,
    LinkLost,
    Recovery,
    Status,
    StatusChanged,
)
from drivers.worker import CommandContext, CommandHandle, DeviceWorker

POLL_S = 0.2
ERRORS = {  # state reason -> (class-specific error, generic code)
    "media-empty": ("paper_out", Code.DEVICE_NOT_READY),
    "media-jam": ("jam", Code.HARDWARE_ERROR),
    "door-open": ("door_open", Code.DEVICE_NOT_READY),
    "offline": ("offline", Code.DEVICE_NOT_READY),
}


class PrinterTrouble(DeviceError):
    recovery = Recovery.OPERATOR  # inside the kiosk: a technician's

    def __init__(self, message: str, error: str, code: Code) -> None:
        super().__init__(message, error)
        self.code = code


class CupsDocumentPrinter:
    """`document_printer` driver. Config: `uri` or `port` = `host:port/queue`."""

    device_class = "document_printer"

    def __init__(
        self,
        port: str,
        name: str = "document_printer",
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        self.name = name
        self.server, _, self.queue = port.rpartition("/")
        self.on_event = on_event or (lambda event: None)
        self.worker = DeviceWorker(name, self.on_event)
        self.status = Status(DeviceState.STARTING)

    def open(self, timeout_s: float = 5.0) -> CommandHandle:
        return self.worker.submit("open", self._status, timeout_s)

    def query_status(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def print_pdf(self, pdf: bytes, title: str = "kiosk", timeout_s: float = 60.0) -> CommandHandle:
        return self.worker.submit("print", lambda ctx: self._print(pdf, title, ctx), timeout_s)

    def self_test(self, timeout_s: float = 5.0) -> CommandHandle:
        return self.query_status(timeout_s)

    def close(self) -> None:
        self.worker.stop()

    # --- on the worker ------------------------------------------------------------

    def _print(self, pdf: bytes, title: str, ctx: CommandContext) -> dict[str, str]:
        self._enable_if_stopped(ctx)
        with tempfile.NamedTemporaryFile(suffix=".pdf") as document:
            document.write(pdf)
            document.flush()
            submitted = self._tool(ctx, "lp", "-d", self.queue, "-t", title, document.name)
        match = re.search(r"request id is (\S+)", submitted)
        if match is None:
            raise DeviceError(f"lp gave no job id: {submitted.strip()}", "submit_failed")
        job = match.group(1)
        try:
            while job in self._tool(ctx, "lpstat", "-W", "not-completed", "-o", self.queue):
                media = self._status(ctx)
                if media["state"] == "stopped":
                    raise _trouble(media["reasons"])
                time.sleep(min(POLL_S, max(0.0, ctx.remaining())))
                ctx.check()
        except DeviceError:
            self._cancel(job)  # it must never come out later, for the next citizen
            raise
        return self._status(ctx)

    def _status(self, ctx: CommandContext) -> dict[str, str]:
        listing = self._tool(ctx, "lpstat", "-l", "-p", self.queue)
        alerts = re.search(r"Alerts:\s*(.*)", listing)
        reasons = alerts.group(1).split() if alerts else []
        stopped = "disabled" in listing.splitlines()[0] if listing else True
        media = {
            "state": "stopped" if stopped else "idle" if "idle" in listing else "processing",
            "paper": "out" if any(r.startswith("media-empty") for r in reasons) else "ok",
            "toner": "low" if any(r.startswith("toner-low") for r in reasons) else "ok",
            "door": "open" if any(r.startswith("door-open") for r in reasons) else "closed",
            "reasons": " ".join(r for r in reasons if r not in ("none", "paused")),
        }
        if stopped:
            state = (
                DeviceState.HARDWARE_ERROR
                if "media-jam" in media["reasons"]
                else (DeviceState.USER_ERROR)
            )
        else:
            state = DeviceState.BUSY if media["state"] == "processing" else DeviceState.ONLINE
        self._set(Status(state, {k: v for k, v in media.items() if k != "reasons"}))
        return media

    def _enable_if_stopped(self, ctx: CommandContext) -> None:
        """A queue stopped by a fault that has been fixed is tried again; if the
        fault is still there the printer stops it again and says why."""
        if self._status(ctx)["state"] == "stopped":
            self._tool(ctx, "cupsenable", self.queue)

    def _cancel(self, job: str) -> None:
        subprocess.run(
            [cups_tool("cancel"), "-h", self.server, job], capture_output=True, timeout=10
        )

    def _tool(self, ctx: CommandContext, tool: str, *args: str) -> str:
        ctx.check()
        try:
            result = subprocess.run(
                [cups_tool(tool), "-h", self.server, *args],
                capture_output=True,
                text=True,
                timeout=max(0.1, min(10.0, ctx.remaining())),
            )
        except subprocess.TimeoutExpired:
            raise DeviceTimeout(f"{tool} did not answer in time", "no_answer") from None
        except FileNotFoundError as exc:
            raise LinkLost(str(exc), "no_device") from None
        if result.returncode != 0:
            if not self._scheduler_running():  # lpstat then only says the queue is unknown
                self._set(Status(DeviceState.NO_DEVICE))
                raise LinkLost(f"CUPS at {self.server} is not running", "no_device")
            raise DeviceError(f"{tool}: {result.stderr.strip()}", "cups_error")
        return result.stdout

    def _scheduler_running(self) -> bool:
        probe = subprocess.run(
            [cups_tool("lpstat"), "-h", self.server, "-r"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return "is running" in probe.stdout

    def _set(self, status: Status) -> None:
        if status != self.status:
            before, self.status = self.status, status
            self.on_event(StatusChanged(self.name, before, status))


def _trouble(reasons: str) -> PrinterTrouble:
    for reason, (error, code) in ERRORS.items():
        if reason in reasons:
            return PrinterTrouble(f"the printer stopped: {reasons}", error, code)
    return PrinterTrouble(
        f"the printer stopped: {reasons or 'no reason given'}", "stopped", Code.HARDWARE_ERROR
    )
