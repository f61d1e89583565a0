"""The CRT-style exchange keeps one command's bytes out of the next one's answer.

Found in CI: a rewrite cancelled between the module's ACK and its answer frame left the
frame's tail on the line, and the next status read it as noise (bad_frame). The link
here is a script of bytes; the cancel lands exactly where it did then.
"""

from __future__ import annotations

import time

import pytest

from drivers.card_transport import frames as fr
from drivers.card_transport.wire import CrtWire
from drivers.model import Canceled, DeviceTimeout, ProtocolError
from drivers.worker import CommandContext


def answer(cm: int, pm: int, data: bytes = b"") -> bytes:
    body = bytes([fr.POSITIVE, cm, pm]) + b"000" + data
    head = bytes([fr.STX, fr.ADDRESS]) + len(body).to_bytes(2, "big") + body + bytes([fr.ETX])
    return bytes([fr.ACK]) + head + bytes([fr.bcc(head)])


class ScriptedLink:
    """A module that answers each command at once; `cancel_after_ack` cancels the
    command in flight the moment its ACK has been read."""

    is_open = True

    def __init__(self) -> None:
        self.line = bytearray()
        self.cancel_after_ack: CommandContext | None = None
        self.writes: list[bytes] = []

    def write(self, frame: bytes, ctx: CommandContext) -> None:
        ctx.check()
        self.writes.append(frame)
        self.line += answer(frame[5], frame[6])

    def read(self, size: int, ctx: CommandContext) -> bytes:
        ctx.check()
        if len(self.line) < size:
            raise DeviceTimeout("silence")
        data = bytes(self.line[:size])
        del self.line[:size]
        if data == bytes([fr.ACK]) and self.cancel_after_ack is not None:
            self.cancel_after_ack.cancelled.set()
            self.cancel_after_ack = None
        return data

    def drain_input(self) -> None:
        self.line.clear()

    def reconnect(self, ctx: CommandContext) -> None:  # pragma: no cover - always open
        raise AssertionError("the link never drops here")


def context(seconds: float = 1.0) -> CommandContext:
    return CommandContext(time.monotonic() + seconds)


def test_a_cancel_between_the_ack_and_the_frame_leaves_the_line_clean() -> None:
    link = ScriptedLink()
    wire = CrtWire(link, "the module", 512)  # type: ignore[arg-type]
    cancelled = context()
    link.cancel_after_ack = cancelled
    # the answer was taken whole; the cancel is seen at the command's next step
    first = wire.exchange(cancelled, fr.MOVE, fr.TO_RW, b"", 0.5)
    assert (first.cm, first.pm) == (fr.MOVE, fr.TO_RW)
    with pytest.raises(Canceled):
        cancelled.check()
    assert link.line == b""
    status = wire.exchange(context(), fr.STATUS, fr.STATUS_CARD, b"", 0.5)
    assert (status.cm, status.pm) == (fr.STATUS, fr.STATUS_CARD)


def test_a_late_answer_to_another_command_is_set_aside() -> None:
    link = ScriptedLink()
    wire = CrtWire(link, "the module", 512)  # type: ignore[arg-type]
    link.line += answer(fr.MOVE, fr.TO_RW, b"late")  # the answer to a cancelled command
    status = wire.exchange(context(), fr.STATUS, fr.STATUS_CARD, b"", 0.5)
    assert (status.cm, status.pm, status.data) == (fr.STATUS, fr.STATUS_CARD, b"")


def test_noise_before_the_answer_is_refused_and_forgotten() -> None:
    link = ScriptedLink()
    wire = CrtWire(link, "the module", 512)  # type: ignore[arg-type]
    link.line += b"\x41\x42"  # not ACK, not NAK
    with pytest.raises(ProtocolError, match="the module answered with noise"):
        wire.exchange(context(), fr.STATUS, fr.STATUS_CARD, b"", 0.5)
    assert link.line == b""
