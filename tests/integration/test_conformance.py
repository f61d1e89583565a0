"""Each of our drivers is certified by its device's conformance suite against the
simulator, and every mutant driver (tests/mutants/) fails it, each by its own check."""

from __future__ import annotations

import importlib

import pytest

from drivers.conformance.kit import load_object
from drivers.registry import DEVICE_CLASSES

DEVICES = [
    "receipt_printer",
    "card_payment",
    "scanner",
    "id_card",
    "fingerprint",
    "camera",
    "document_printer",
    "smartcard",
    "ups",
    "card_transport",
    "scanner_a4",
    "card_printer",
    "sensors",
    "lights",
    "signature_pad",
]


def _stack_for(device: str, request) -> None:
    """Cards are tested through the shared pcscd (one per machine)."""
    if device == "smartcard":
        request.getfixturevalue("pcscd_service")


def suite_of(device: str):
    return load_object(DEVICE_CLASSES[device].suite)


@pytest.mark.parametrize("device", DEVICES)
def test_our_driver_is_certified(device, request):
    _stack_for(device, request)
    driver = DEVICE_CLASSES[device].default_driver
    report = suite_of(device)(load_object(driver), driver)
    assert report.passed, report.text()
    assert len(report.results) >= 7


MUTANTS = [
    (device, mutant, check)
    for device in DEVICES
    for mutant, check in importlib.import_module(f"tests.mutants.{device}").MUTANTS.items()
]


@pytest.mark.parametrize(
    ("device", "mutant", "check"), MUTANTS, ids=[f"{d}-{m.__name__}" for d, m, _ in MUTANTS]
)
def test_each_mutant_fails_its_check(device, mutant, check, request):
    _stack_for(device, request)
    report = suite_of(device)(mutant, mutant.__name__, only=[check])
    assert [r.name for r in report.results] == [check], "no such check in the suite"
    assert not report.passed, f"{mutant.__name__} passed '{check}': {report.text()}"
