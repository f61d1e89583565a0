"""A late status byte is never taken for the next status's answer.

A status query cancelled while the printer was slow leaves its answer owed; it comes
after the cancel. `DLE EOT n` answers carry no sign of the request they answer, so a
driver that reads it as the next query's first answer shifts every answer by one and
reads an open cover as closed. The link here is a script of bytes; the late byte lands
exactly between the two queries.
"""

from __future__ import annotations

import time

import pytest

from drivers.model import Canceled, DeviceTimeout
from drivers.receipt_printer import escpos
from drivers.receipt_printer.driver import EscPosPrinter
from drivers.worker import CommandContext


class ScriptedPrinter:
    """The printer's end of the line: answers `DLE EOT n` at once, unless `owe_next`,
    then that answer is kept back (the slow printer) until `late()` puts it on the line."""

    is_open = True

    def __init__(self) -> None:
        self.line = bytearray()
        self.cover_open = False
        self.owe_next = False
        self.owed = b""

    def answer(self, n: int) -> int:
        value = 0b0001_0010
        if n == 1 and self.cover_open:
            value |= 0x08  # off line
        if n == 2 and self.cover_open:
            value |= 0x04
        return value

    def write(self, data: bytes, ctx: CommandContext) -> None:
        ctx.check()
        assert data[:2] == bytes([escpos.DLE, escpos.EOT])
        if self.owe_next:
            self.owe_next, self.owed = False, bytes([self.answer(data[2])])
        else:
            self.line.append(self.answer(data[2]))

    def late(self) -> None:
        self.line += self.owed

    def read(self, size: int, ctx: CommandContext) -> bytes:
        ctx.check()
        if len(self.line) < size:
            ctx.cancelled.set()  # the citizen gave up while the printer was slow
            ctx.check()
            raise DeviceTimeout("silence")  # pragma: no cover - the cancel comes first
        data = bytes(self.line[:size])
        del self.line[:size]
        return data

    def drain_input(self) -> None:
        self.line.clear()

    def close(self) -> None:
        self.is_open = False


@pytest.fixture
def printer():
    driver = EscPosPrinter(port="/dev/null-never-opened")
    driver.link = ScriptedPrinter()  # type: ignore[assignment]
    yield driver
    driver.close()


def context() -> CommandContext:
    return CommandContext(time.monotonic() + 1.0)


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
