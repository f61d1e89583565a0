"""Our driver is certified; every mutant fails its own check."""

from __future__ import annotations

import pytest

from drivers.conformance.receipt_printer import suite
from drivers.receipt_printer.driver import EscPosPrinter
from tests.mutants.receipt_printer import MUTANTS


def test_our_driver_is_certified():
    report = suite(EscPosPrinter, "drivers.receipt_printer.driver:EscPosPrinter")
    assert report.passed, report.text()
    assert len(report.results) == 9


@pytest.mark.parametrize("mutant", list(MUTANTS), ids=lambda m: m.__name__)
def test_each_mutant_fails_its_check(mutant):
    check = MUTANTS[mutant]
    report = suite(mutant, mutant.__name__, only=[check])
    assert [r.name for r in report.results] == [check]
    assert not report.passed, f"{mutant.__name__} passed '{check}': {report.text()}"
