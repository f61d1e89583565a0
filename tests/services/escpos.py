"""A receipt printer for tests: the ESC/POS simulator on a pty, our driver opened on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from drivers.receipt_printer.driver import EscPosPrinter
from drivers.receipt_printer.simulator import EscPosSimulator
from tests.services.devices import driven


@contextmanager
def receipt_printer() -> Iterator[tuple[EscPosSimulator, EscPosPrinter]]:
    with driven(EscPosSimulator(), EscPosPrinter) as (simulator, driver):
        yield simulator, driver
