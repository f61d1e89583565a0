"""The host's half of the CRT-style exchange (frames.py): a frame out, ACK or NAK back,
then the answer. The card transport and the card printer (the same card unit's
rewrite module) both speak it, so both drivers read their answers here.

Two rules keep one command's bytes out of the next one's answer:
- once the module has ACKed, its answer frame is read whole even if the command is
  cancelled meanwhile (it is a few milliseconds of bytes); cancelled between the ACK and
  the frame, the frame's tail would otherwise be the next command's first bytes;
- a whole answer to another command (the late answer to one cancelled while the module
  worked) is read and set aside, and the wait goes on for ours.
"""

from __future__ import annotations

import threading
import time

from drivers.card_transport import frames as fr
from drivers.model import DeviceTimeout, ProtocolError
from drivers.transport import SerialLink
from drivers.worker import CommandContext


class CrtWire:
    def __init__(self, link: SerialLink, who: str, max_frame: int, resends: int = 2) -> None:
        self.link = link
        self.who = who  # "the transport", "the card printer": for the errors' wording
        self.max_frame = max_frame
        self.resends = resends  # a frame the module NAKs (it saw a bad BCC) is sent again

    def exchange(
        self, ctx: CommandContext, cm: int, pm: int, data: bytes, answer_s: float | None = None
    ) -> fr.Reply:
        """The module's answer to command `cm`/`pm`; answer_s bounds the wait for it."""
        if not self.link.is_open:
            self.link.reconnect(ctx)
        frame = fr.command(cm, pm, data)
        for _ in range(self.resends + 1):
            self.link.write(frame, ctx)
            answer = self.answer_context(ctx, answer_s)
            first = self.read_first(answer)
            while first == fr.ACK:
                reply = self.read_reply(_uncancellable(answer))
                if (reply.cm, reply.pm) == (cm, pm):
                    return reply
                first = self.read_first(answer)  # that was a late answer: not ours
            if first != fr.NAK:
                self.noise(ctx)
        raise ProtocolError(f"{self.who} refused the frame's checksum", "bad_frame")

    def answer_context(self, ctx: CommandContext, answer_s: float | None) -> CommandContext:
        """The command's context, with a deadline for this one answer."""
        if answer_s is None:
            return ctx
        answer = CommandContext(min(ctx.deadline, time.monotonic() + answer_s))
        answer.cancelled = ctx.cancelled
        return answer

    def read_first(self, ctx: CommandContext) -> int:
        return self.link.read(1, ctx)[0]  # silence: DeviceTimeout

    def read_reply(self, ctx: CommandContext) -> fr.Reply:
        try:
            head = self.link.read(4, ctx)
            if head[0] != fr.STX:
                self.noise(ctx)
            size = int.from_bytes(head[2:4], "big")
            if not 5 <= size <= self.max_frame:
                raise ProtocolError(f"impossible frame length {size}", "bad_frame")
            raw = head + self.link.read(size + 2, ctx)
        except DeviceTimeout:  # it answered (the ACK), but not with a whole frame
            self.link.drain_input()
            raise ProtocolError(f"{self.who}'s answer stopped half-way", "bad_frame") from None
        return fr.parse(raw)

    def noise(self, ctx: CommandContext) -> None:
        """Bytes that are no answer: let the rest of them come, forget them, refuse."""
        time.sleep(min(0.05, max(0.0, ctx.remaining())))
        self.link.drain_input()
        raise ProtocolError(f"{self.who} answered with noise", "bad_frame")


def _uncancellable(ctx: CommandContext) -> CommandContext:
    """The same deadline, deaf to a cancel: the cancel is seen at the command's next step."""
    frame = CommandContext(ctx.deadline)
    frame.cancelled = threading.Event()
    return frame
