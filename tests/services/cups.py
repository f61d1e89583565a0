"""CUPS with a simulated IPP Everywhere printer, all in temporary folders.

`ippeveprinter` (cups-ipp-utils) is a real IPP printer that keeps every job it
receives as a file; a private `cupsd` on a loopback port has one queue, made with
`lpadmin -m everywhere`, that prints to it. ippeveprinter insists on DNS-SD: it
gets a private D-Bus in the temporary folder to talk to (no Avahi behind it), so
nothing is announced on the network and the system bus is not touched.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from drivers.document_printer.cupsd import PrivateCups
from tests.services.process import (
    ServiceError,
    free_port,
    port_open,
    start,
    stop,
    tail,
    wait_until,
)

QUEUE = "kiosk_test"


def missing() -> str | None:
    for tool in ("cupsd", "lpadmin", "lp", "ippeveprinter", "dbus-daemon"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (make test installs packaging/apt-packages.txt)"
    return None


class PrintSpooler:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cups_port = 0  # known once the private cupsd has started
        self._cups: PrivateCups | None = None
        self.printer_port = free_port()
        self.received = workdir / "printer-received"  # the simulated printer's output tray
        self.queue = QUEUE
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def server(self) -> str:
        """For `lp -h`, `CUPS_SERVER`, or pycups."""
        return f"127.0.0.1:{self.cups_port}"

    @property
    def printer_uri(self) -> str:
        return f"ipp://127.0.0.1:{self.printer_port}/ipp/print"

    def start(self) -> None:
        try:
            self._start_printer()
            self._start_cupsd()
            self.lp_admin("-p", self.queue, "-E", "-v", self.printer_uri, "-m", "everywhere")
        except Exception as exc:
            self.stop()
            logs = "\n".join(tail(p) for p in sorted(self.workdir.rglob("*.log")))
            raise ServiceError(f"CUPS did not start: {exc}\n{logs}") from exc

    def lp_admin(self, *args: str) -> None:
        result = subprocess.run(
            ["lpadmin", "-h", self.server, *args], capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise ServiceError(f"lpadmin {' '.join(args)}: {result.stderr.strip()}")

    def _start_printer(self) -> None:
        bus = self.workdir / "dbus.sock"
        self._processes.append(
            start(
                [
                    "dbus-daemon",
                    "--session",
                    f"--address=unix:path={bus}",
                    "--nofork",
                    "--nopidfile",
                ],
                self.workdir / "dbus.log",
            )
        )
        wait_until(bus.exists, "private D-Bus")
        self.received.mkdir()
        self._processes.append(
            start(
                [
                    "ippeveprinter",
                    "-p",
                    str(self.printer_port),
                    "-d",
                    str(self.received),
                    "-k",
                    "-r",
                    "off",
                    "-f",
                    "application/pdf,image/pwg-raster,image/urf",
                    "-M",
                    "Kiosk",
                    "-m",
                    "Simulated IPP printer",
                    "Kiosk Test Printer",
                ],
                self.workdir / "ippeveprinter.log",
                env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={bus}"},
            )
        )
        wait_until(lambda: port_open(self.printer_port), "ippeveprinter")

    def _start_cupsd(self) -> None:
        self._cups = PrivateCups().start()
        self.cups_port = self._cups.port

    def stop(self) -> None:
        if self._cups is not None:
            self._cups.remove()
        for process in reversed(self._processes):
            stop(process)
        self._processes.clear()
