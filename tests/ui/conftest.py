"""The touchscreen under test: the real QML, off screen, on the shipped flows plus
the test flow, with the demo services sped up and the mock voice."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# before pytest-qt makes the application object: the input method is chosen then
os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")

TEST_FLOW = Path(__file__).resolve().parents[1] / "flows" / "test_renewal.yaml"
SHORT_WAIT = Path(__file__).with_name("flows") / "short_wait.yaml"


class QtWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.messages.append(message)


def _built(flows: list[str], **factory: object) -> Iterator:
    from flows.demo import DemoServices
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    warnings = QtWarnings()
    qt_log = logging.getLogger("kiosk.ui.qt")
    qt_log.addHandler(warnings)
    make = shell_factory(catalogue(), extra_flows=flows, **factory)  # type: ignore[arg-type]
    built = Kiosk(make, catalogue(), size=(1080, 1920))
    built.shell.step_services = DemoServices(speed=20.0)
    built.window.show()
    built.window.requestActivate()
    built.settle(100)
    built.warnings = warnings
    try:
        yield built
    finally:
        built.close()
        qt_log.removeHandler(warnings)
    assert warnings.messages == [], warnings.messages  # a Qt warning fails the test


@pytest.fixture
def kiosk(qapp) -> Iterator:
    """The shipped flows and two test flows."""
    yield from _built([str(TEST_FLOW), str(SHORT_WAIT)])


@pytest.fixture
def shipped_kiosk(qapp) -> Iterator:
    """The shipped flows only, as `make screens` renders them."""
    yield from _built([])
