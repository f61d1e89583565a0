"""A late Modbus answer is never taken for the next request's.

A poll cancelled while the board was slow leaves its answer owed; it comes after the
cancel. The next poll asks the same (read the inputs): a driver that reads the late
answer as its own passes its unit, function, byte count and CRC, reports the inputs
as they were, and stays one answer behind. The link here is a script of bytes; the
late answer lands exactly between the two polls.
"""

from __future__ import annotations

import time

import pytest

from drivers.io_board import modbus as mb
from drivers.io_board.board import ModbusBoard
from drivers.model import Canceled, DeviceTimeout
from drivers.worker import CommandContext


class ScriptedBoard:
    """The board's end of the line: answers `read inputs` at once with `inputs`,
    unless `owe_next`, then that answer is kept back until `late()`."""

    is_open = True
    baudrate = 9600
    opened = 1

    def __init__(self) -> None:
        self.line = bytearray()
        self.inputs = [False] * 8
        self.owe_next = False
        self.owed = b""

    def write(self, data: bytes, ctx: CommandContext) -> None:
        ctx.check()
        assert data[1] == mb.READ_INPUTS
        answer = mb.frame(1, bytes([mb.READ_INPUTS, 1]) + mb.pack_bits(self.inputs))
        if self.owe_next:
            self.owe_next, self.owed = False, answer
        else:
            self.line += answer

    def late(self) -> None:
        self.line += self.owed

    def read(self, size: int, ctx: CommandContext) -> bytes:
        ctx.check()
        if len(self.line) < size:
            ctx.cancelled.set()  # cancelled while the board was slow
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
def board():
    driver = ModbusBoard(port="/dev/null-never-opened", name="board")
    driver.link = ScriptedBoard()  # type: ignore[assignment]
    yield driver
    driver.close()


def context() -> CommandContext:
    return CommandContext(time.monotonic() + 1.0)


def test_a_late_answer_is_not_the_next_polls(board) -> None:
    line = board.link
    line.owe_next = True
    with pytest.raises(Canceled):
        board._read_bits(context(), mb.READ_INPUTS, 0, 8)
    line.late()  # the answer to the cancelled poll arrives now
    line.inputs = [True] + [False] * 7  # and the door opens
    assert board._read_bits(context(), mb.READ_INPUTS, 0, 8) == line.inputs
    assert line.line == b""
