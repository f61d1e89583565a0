"""Our CUPS driver is certified against a real private CUPS and the simulated
printer behind it; every mutant fails its own check."""

from __future__ import annotations

import pytest

from drivers.conformance.document_printer import suite
from drivers.document_printer.driver import CupsDocumentPrinter
from tests.mutants.document_printer import MUTANTS

pytestmark = pytest.mark.service


def test_our_driver_is_certified():
    report = suite(CupsDocumentPrinter, "drivers.document_printer.driver:CupsDocumentPrinter")
    assert report.passed, report.text()


@pytest.mark.parametrize("mutant", list(MUTANTS), ids=lambda m: m.__name__)
def test_each_mutant_fails_its_check(mutant):
    check = MUTANTS[mutant]
    report = suite(mutant, mutant.__name__, only=[check])
    assert not report.passed, f"{mutant.__name__} passed '{check}': {report.text()}"
