"""A late status byte is never taken for the next status's answer.

A status query cancelled while the printer was slow leaves its answer owed; it comes
after the cancel. `DLE EOT n` answers carry no sign of the request they answer, so a
driver that reads it as the next query's first answer shifts every answer by one and
reads an open cover as closed. The link here is a script of bytes; the late byte lands
exactly between the two queries.
"""

from __future__ import annotations

import pytest

from drivers.model import Canceled
from drivers.receipt_printer import escpos
from drivers.receipt_printer.driver import EscPosPrinter
from tests.unit.drivers.scripted import ScriptedLine, context


class ScriptedPrinter(ScriptedLine):
    """The printer's end of the line: answers `DLE EOT n` (the slow printer's answer
    kept back until `late()`)."""

    def __init__(self) -> None:
        super().__init__(self.status)
        self.cover_open = False

    def status(self, request: bytes) -> bytes:
        assert request[:2] == bytes([escpos.DLE, escpos.EOT])
        value = 0b0001_0010
        if request[2] == 1 and self.cover_open:
            value |= 0x08  # off line
        if request[2] == 2 and self.cover_open:
            value |= 0x04
        return bytes([value])


@pytest.fixture
def printer():
    driver = EscPosPrinter(port="/dev/null-never-opened")
    driver.link = ScriptedPrinter()  # type: ignore[assignment]
    yield driver
    driver.close()


def test_a_late_status_byte_does_not_shift_the_next_answers(printer) -> None:
    line = printer.link
    line.owe_next = True
    with pytest.raises(Canceled):
        printer._status(context())
    line.late()  # the answer to the cancelled query arrives now
    line.cover_open = True  # and the cover is opened
    media = printer._status(context())
    assert media == {"paper": "ok", "cover": "open", "online": "no"}
    assert line.line == b""
