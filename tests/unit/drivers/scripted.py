"""A device's end of a serial line as a script of bytes, for the late-answer tests
(test_late_answers.py, test_escpos_status.py, test_modbus_late_answer.py): the answer
to a request comes at once, or is kept back and put on the line when the test says,
exactly between two commands."""

from __future__ import annotations

import time
from collections.abc import Callable

from drivers.model import DeviceTimeout
from drivers.worker import CommandContext


class ScriptedLine:
    """The device's end: `answer(request)` at once, unless `owe_next`, then that
    answer is kept back until `late()`."""

    is_open = True
    baudrate = 9600
    opened = 1  # a link opened once: no identity asked again

    def __init__(self, answer: Callable[[bytes], bytes]) -> None:
        self.answer = answer
        self.line = bytearray()
        self.owe_next = False
        self.owed = b""

    def write(self, data: bytes, ctx: CommandContext) -> None:
        ctx.check()
        if self.owe_next:
            self.owe_next, self.owed = False, self.answer(data)
        else:
            self.line += self.answer(data)

    def late(self) -> None:
        self.line += self.owed

    def read(self, size: int, ctx: CommandContext) -> bytes:
        ctx.check()
        if len(self.line) < size:
            ctx.cancelled.set()  # cancelled while the device was slow
            ctx.check()
            raise DeviceTimeout("silence")  # pragma: no cover - the cancel comes first
        data = bytes(self.line[:size])
        del self.line[:size]
        return data

    def drain_input(self) -> None:
        self.line.clear()

    def close(self) -> None:
        self.is_open = False


def context() -> CommandContext:
    return CommandContext(time.monotonic() + 1.0)
