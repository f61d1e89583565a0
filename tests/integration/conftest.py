"""Fixtures the integration tests share."""

from __future__ import annotations

import pytest

from drivers.document_printer.driver import CupsDocumentPrinter
from drivers.document_printer.simulator import CupsPrinterSimulator


@pytest.fixture(scope="module")
def a4():
    """The A4 document printer: the CUPS simulator and our driver on it, per module."""
    simulator = CupsPrinterSimulator().start()
    driver = CupsDocumentPrinter(port=simulator.address)
    assert driver.open().result().ok
    yield simulator, driver
    driver.close()
    simulator.stop()
