"""Our camera driver is certified against the MJPEG simulator (a real OpenCV
capture over HTTP); every mutant fails its own check."""

from __future__ import annotations

import pytest

from drivers.camera.driver import OpenCvCamera
from drivers.conformance.camera import suite
from tests.mutants.camera import MUTANTS


def test_our_driver_is_certified():
    report = suite(OpenCvCamera, "drivers.camera.driver:OpenCvCamera")
    assert report.passed, report.text()


@pytest.mark.parametrize("mutant", list(MUTANTS), ids=lambda m: m.__name__)
def test_each_mutant_fails_its_check(mutant):
    check = MUTANTS[mutant]
    report = suite(mutant, mutant.__name__, only=[check])
    assert not report.passed, f"{mutant.__name__} passed '{check}': {report.text()}"
