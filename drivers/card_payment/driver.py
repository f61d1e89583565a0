"""The bank-card terminal driver (PROTOCOL.md) over a serial link.

A sale's state is unknown, never failed, when its result does not come: a lost
answer, a timeout, the bank's UNKNOWN, or a cancel while the citizen was paying.
Those end with the class-specific error `payment_unknown`; the payment service
then queries the order before anything is charged again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drivers.card_payment import ecr
from drivers.device import SerialDevice
from drivers.model import (
    Canceled,
    CitizenCanFix,
    Code,
    DeviceError,
    DeviceState,
    DeviceTimeout,
    LinkLost,
    ProtocolError,
    Recovery,
    Status,
)
from drivers.worker import CommandContext, CommandHandle

ACK_WAIT_S = 0.5
TRIES = 3
STATES = {
    "APPROVED": "paid",
    "DECLINED": "failed",
    "UNKNOWN": "unknown",
    "ERROR": "unknown",
    "NOT_FOUND": "not_found",
    "VOIDED": "voided",
    "REFUNDED": "refunded",
}


class PaymentUnknown(DeviceError):
    code = Code.TIMEOUT
    recovery = Recovery.RETRY  # query the order, then void or reconcile


class Declined(CitizenCanFix):
    """The bank said no: another card, or another way to pay."""


class EcrTerminal(SerialDevice):
    """`card_payment` driver. Config: `port`."""

    device_class = "card_payment"

    def __init__(
        self,
        port: str,
        name: str = "card_payment",
        baudrate: int = 115200,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(port, name, baudrate, on_event)

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._status, timeout_s)

    def query_status(self, timeout_s: float = 2.0) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def sale(self, order: str, amount_fen: int, timeout_s: float = 90.0) -> CommandHandle:
        return self.worker.submit("sale", lambda ctx: self._sale(order, amount_fen, ctx), timeout_s)

    def query(self, order: str, timeout_s: float = 5.0) -> CommandHandle:
        return self.worker.submit("query", lambda ctx: self._result(ctx, "QUERY", order), timeout_s)

    def void(self, order: str, timeout_s: float = 30.0) -> CommandHandle:
        return self.worker.submit("void", lambda ctx: self._result(ctx, "VOID", order), timeout_s)

    def refund(self, order: str, amount_fen: int, timeout_s: float = 30.0) -> CommandHandle:
        return self.worker.submit(
            "refund", lambda ctx: self._result(ctx, "REFUND", order, str(amount_fen)), timeout_s
        )

    def self_test(self, timeout_s: float = 5.0) -> CommandHandle:
        """A round trip that moves no money: the query of an order that never was."""
        return self.query("SELF-TEST", timeout_s)

    # --- on the worker ------------------------------------------------------------

    def _status(self, ctx: CommandContext) -> dict[str, str]:
        try:
            try:
                fields = self._exchange(ctx, "STATUS")
            except LinkLost:
                self.link.reconnect(ctx)
                fields = self._exchange(ctx, "STATUS")
        except DeviceTimeout:
            self._set(Status(DeviceState.OFFLINE))
            raise
        except LinkLost:
            self._set(Status(DeviceState.NO_DEVICE))
            raise
        ready = fields[:1] == ["READY"]
        self._set(Status(DeviceState.ONLINE if ready else DeviceState.BUSY))
        return {"terminal": fields[0] if fields else ""}

    def _sale(self, order: str, amount_fen: int, ctx: CommandContext) -> dict[str, str]:
        if amount_fen <= 0:
            raise DeviceError("amount must be positive", "invalid_amount")
        try:
            result = self._result(ctx, "SALE", order, str(amount_fen))
        except Canceled:  # the citizen may have paid already: unknown until queried
            raise Canceled(f"sale {order} cancelled", "payment_unknown") from None
        except DeviceTimeout as exc:
            raise PaymentUnknown(f"sale {order}: no result ({exc})", "payment_unknown") from None
        if result["state"] == "failed":
            raise Declined(f"sale {order} declined: {result['detail']}", "declined")
        if result["state"] != "paid":
            raise PaymentUnknown(f"sale {order}: {result['state']}", "payment_unknown")
        return result

    def _result(self, ctx: CommandContext, *request: str) -> dict[str, str]:
        if not self.link.is_open:
            self.link.reconnect(ctx)
        fields = self._exchange(ctx, *request)
        if len(fields) < 3 or fields[0] != "RESULT" or fields[1] != request[1]:
            raise ProtocolError(f"unexpected answer {fields[:2]}", "bad_frame")
        state = STATES.get(fields[2])
        if state is None:
            raise ProtocolError(f"unknown result code {fields[2]!r}", "bad_frame")
        return {"order": fields[1], "state": state, "detail": fields[3] if len(fields) > 3 else ""}

    def _exchange(self, ctx: CommandContext, *request: str) -> list[str]:
        self.link.drain_input()
        self._send(ecr.frame(*request), ctx)
        return self._receive(ctx)

    def _send(self, data: bytes, ctx: CommandContext) -> None:
        """Send a frame until it is ACKed (at most TRIES times)."""
        for _ in range(TRIES):
            self.link.write(data, ctx)
            answer = self._read_byte(ctx, min(ACK_WAIT_S, max(0.0, ctx.remaining())))
            if answer == ecr.ACK:
                return
        raise ProtocolError("the terminal did not acknowledge the frame", "no_ack")

    def _receive(self, ctx: CommandContext) -> list[str]:
        """The next frame, ACKed; a bad one is NAKed and awaited again."""
        for _ in range(TRIES):
            raw = self._read_frame(ctx)
            try:
                fields = ecr.parse(raw)
            except ProtocolError as exc:
                if exc.error != "bad_checksum":
                    raise
                self.link.write(bytes([ecr.NAK]), ctx)
                continue
            self.link.write(bytes([ecr.ACK]), ctx)
            return fields
        raise ProtocolError("three frames in a row with a wrong LRC", "bad_checksum")

    def _read_frame(self, ctx: CommandContext) -> bytes:
        start = self.link.read(1, ctx)
        while start[0] != ecr.STX:  # line noise before a frame
            start = self.link.read(1, ctx)
        header = self.link.read(4, ctx)
        try:
            length = int(header.decode("ascii"), 16)
        except (UnicodeDecodeError, ValueError):
            raise ProtocolError("bad length field", "bad_frame") from None
        return start + header + self.link.read(length + 2, ctx)

    def _read_byte(self, ctx: CommandContext, within_s: float) -> int | None:
        inner = CommandContext(min(ctx.deadline, time.monotonic() + within_s))
        inner.cancelled = ctx.cancelled
        try:
            return self.link.read(1, inner)[0]
        except DeviceTimeout:
            ctx.check()
            return None
