"""Our ID card reader driver is certified; every mutant fails its own check."""

from __future__ import annotations

import pytest

from drivers.conformance.id_card import suite
from drivers.id_card.driver import SamIdCardReader
from tests.mutants.id_card import MUTANTS


def test_our_driver_is_certified():
    report = suite(SamIdCardReader, "drivers.id_card.driver:SamIdCardReader")
    assert report.passed, report.text()


@pytest.mark.parametrize("mutant", list(MUTANTS), ids=lambda m: m.__name__)
def test_each_mutant_fails_its_check(mutant):
    check = MUTANTS[mutant]
    report = suite(mutant, mutant.__name__, only=[check])
    assert not report.passed, f"{mutant.__name__} passed '{check}': {report.text()}"
