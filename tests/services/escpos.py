"""A receipt printer for tests: the ESC/POS simulator on a pty, our driver opened on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from drivers.receipt_printer.driver import EscPosPrinter
from drivers.receipt_printer.simulator import EscPosSimulator


@contextmanager
def receipt_printer() -> Iterator[tuple[EscPosSimulator, EscPosPrinter]]:
    simulator = EscPosSimulator().start()
    driver = EscPosPrinter(port=simulator.address)
    assert driver.open().result().ok
    try:
        yield simulator, driver
    finally:
        driver.close()
        simulator.stop()
