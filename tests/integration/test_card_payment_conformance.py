"""Our ECR driver is certified; every mutant fails its own check."""

from __future__ import annotations

import pytest

from drivers.card_payment.driver import EcrTerminal
from drivers.conformance.card_payment import suite
from tests.mutants.card_payment import MUTANTS


def test_our_driver_is_certified():
    report = suite(EcrTerminal, "drivers.card_payment.driver:EcrTerminal")
    assert report.passed, report.text()
    assert len(report.results) == 12


@pytest.mark.parametrize("mutant", list(MUTANTS), ids=lambda m: m.__name__)
def test_each_mutant_fails_its_check(mutant):
    check = MUTANTS[mutant]
    report = suite(mutant, mutant.__name__, only=[check])
    assert [r.name for r in report.results] == [check]
    assert not report.passed, f"{mutant.__name__} passed '{check}': {report.text()}"
