"""First boot: a terminal with no identity is commissioned on its own touchscreen.

The rule (`needs_commissioning`): the terminal has no identity file
(`[backend] identity_file`) and nothing else will enrol it: `kiosk run --sim` with
`[backend] embedded = true` (`make run`) enrols itself in its embedded backend, as it
always did. Anything else without an identity (a fresh install, `--sim` with the
embedded backend off) starts on the commissioning screen, behind the maintenance PIN,
and serves no citizen until it is enrolled.

What a technician does there, the screen (ui/commissioning.py) leaves to this
module, which is Qt-free: enrol (kiosk/sync/enrolment.py, as `kiosk enroll`), run
every device's self-test, print the commissioning slip on the receipt printer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from kiosk.config import KioskConfig
from kiosk.documents.commissioning import Commissioned, DeviceCheck, commissioning_slip
from kiosk.strings import Catalogue
from kiosk.sync.enrolment import Enrolled, enrol
from kiosk.sync.identity import needs_ca

log = logging.getLogger("kiosk.commissioning")


def needs_commissioning(config: KioskConfig, simulated: bool) -> bool:
    """No identity, and no embedded backend to enrol in (see the module's docstring)."""
    embedded = simulated and config.backend.embedded
    return not config.backend.identity_file.exists() and not embedded


class Commissioner:
    """The steps of a commissioning, each one blocking (the screen runs them off its
    thread). `drivers`: the devices' drivers by name; `configured`: every device the
    configuration names (one with no driver fails its self-test: `no_driver`)."""

    def __init__(
        self,
        config: KioskConfig,
        drivers: Mapping[str, Any],
        configured: Callable[[], list[str]],
        strings: Catalogue,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.config, self.drivers, self.configured = config, drivers, configured
        self.strings, self.clock = strings, clock

    def enrol(self, url: str, code: str) -> Enrolled:
        """KioskError (kiosk/sync/enrolment.py) when the backend or the address says no.
        The CA is the site's (`[backend] ca_file`), for an https backend only."""
        ca = self.config.backend.ca_file if needs_ca(url) else None
        done = enrol(self.config, url, code, ca)
        log.warning("terminal enrolled", extra={"terminal": done.terminal_id,
                                                "backend": done.backend_url})  # fmt: skip
        return done

    def devices(self) -> list[str]:
        return list(self.drivers) or self.configured()

    def self_test(self, name: str) -> DeviceCheck:
        driver = self.drivers.get(name)
        if driver is None:
            return DeviceCheck(name, False, "no_driver")
        try:
            done = driver.self_test().result()  # bounded by the command's deadline
        except Exception:  # a driver's bug fails its device, not the commissioning
            log.exception("the self-test of %s did not complete", name)
            return DeviceCheck(name, False, "internal_error")
        if done.ok:
            return DeviceCheck(name, True, done.code.value)
        return DeviceCheck(name, False, f"{done.code.value}/{done.error}")

    def print_slip(self, enrolled: Enrolled, checks: list[DeviceCheck]) -> str:
        """`printed`, or why not (a completion code, `no_printer`)."""
        from wire import __version__

        printer = self.drivers.get("receipt_printer")
        if printer is None:
            return "no_printer"
        terminal = self.config.terminal
        done = Commissioned(enrolled.terminal_id, terminal.name, terminal.location or "",
                            enrolled.backend_url, __version__, self.clock(),
                            tuple(checks))  # fmt: skip
        slip = commissioning_slip(done, self.config.screen.language, self.strings)
        try:
            printed = printer.print_slip(slip).result()
        except Exception:
            log.exception("the commissioning slip could not be printed")
            return "internal_error"
        if not printed.ok:
            log.warning("commissioning slip not printed: %s/%s", printed.code.value, printed.error)
            return printed.code.value
        return "printed"
