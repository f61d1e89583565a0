"""A late Modbus answer is never taken for the next request's.

A poll cancelled while the board was slow leaves its answer owed; it comes after the
cancel. The next poll asks the same (read the inputs): a driver that reads the late
answer as its own passes its unit, function, byte count and CRC, reports the inputs
as they were, and stays one answer behind. The link here is a script of bytes; the
late answer lands exactly between the two polls.
"""

from __future__ import annotations

import pytest

from drivers.io_board import modbus as mb
from drivers.io_board.board import ModbusBoard
from drivers.model import Canceled
from tests.unit.drivers.scripted import ScriptedLine, context


class ScriptedBoard(ScriptedLine):
    """The board's end of the line: answers `read inputs` with `inputs`."""

    def __init__(self) -> None:
        super().__init__(self.read_inputs)
        self.inputs = [False] * 8

    def read_inputs(self, request: bytes) -> bytes:
        assert request[1] == mb.READ_INPUTS
        return mb.frame(1, bytes([mb.READ_INPUTS, 1]) + mb.pack_bits(self.inputs))


@pytest.fixture
def board():
    driver = ModbusBoard(port="/dev/null-never-opened", name="board")
    driver.link = ScriptedBoard()  # type: ignore[assignment]
    yield driver
    driver.close()


def test_a_late_answer_is_not_the_next_polls(board) -> None:
    line = board.link
    line.owe_next = True
    with pytest.raises(Canceled):
        board._read_bits(context(), mb.READ_INPUTS, 0, 8)
    line.late()  # the answer to the cancelled poll arrives now
    line.inputs = [True] + [False] * 7  # and the door opens
    assert board._read_bits(context(), mb.READ_INPUTS, 0, 8) == line.inputs
    assert line.line == b""
