"""The terminal's payment book: one row per order, its state as the terminal last
knew it, and every change queued for the backend in the same transaction (the
backend's reconciliation compares it with the gateway's)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from offline_cache.outbox import Outbox

# States the gateway can still change: the order is not settled yet.
OPEN_STATES = ("NOTPAY", "USERPAYING", "UNKNOWN")


@dataclass(frozen=True)
class Order:
    out_trade_no: str
    session: str | None
    amount_fen: int
    state: str
    detail: str | None
    method: str = "qr"  # qr, bank_card


class PaymentBook:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.db = outbox.db

    def open(
        self, out_trade_no: str, amount_fen: int, session: str | None, method: str = "qr"
    ) -> None:
        """The order exists before the gateway (or the card terminal) hears of it."""
        now = self.outbox.clock()
        with self.outbox.transaction():
            self.db.execute(
                "INSERT INTO payments (out_trade_no, session, amount_fen, state, created_at,"
                " updated_at, method) VALUES (?, ?, ?, 'NOTPAY', ?, ?, ?)",
                (out_trade_no, session, amount_fen, now, now, method),
            )
            self._queue(Order(out_trade_no, session, amount_fen, "NOTPAY", None, method))

    def change(self, out_trade_no: str, state: str, detail: str | None = None) -> None:
        order = self.get(out_trade_no)
        if order is None:
            raise KeyError(out_trade_no)
        if order.state == state and order.detail == detail:
            return
        with self.outbox.transaction():
            self.db.execute(
                "UPDATE payments SET state = ?, detail = ?, updated_at = ? WHERE out_trade_no = ?",
                (state, detail, self.outbox.clock(), out_trade_no),
            )
            self._queue(Order(out_trade_no, order.session, order.amount_fen, state, detail,
                              order.method))  # fmt: skip

    def get(self, out_trade_no: str) -> Order | None:
        row = self.db.execute(
            "SELECT out_trade_no, session, amount_fen, state, detail, method FROM payments"
            " WHERE out_trade_no = ?",
            (out_trade_no,),
        ).fetchone()
        return Order(*row) if row else None

    def unsettled(self, method: str = "qr") -> list[Order]:
        """Orders of one method whose outcome the terminal does not know (after a
        crash, say)."""
        rows = self.db.execute(
            "SELECT out_trade_no, session, amount_fen, state, detail, method FROM payments"
            f" WHERE state IN ({', '.join('?' * len(OPEN_STATES))}) AND method = ?"
            " ORDER BY created_at",
            (*OPEN_STATES, method),
        ).fetchall()
        return [Order(*row) for row in rows]

    def _queue(self, order: Order) -> None:
        # A key per change, not per order: each change is a record of its own, sent
        # in its session's order (the backend keeps the last as the terminal's word).
        key = f"payment-{order.out_trade_no}-{secrets.token_hex(6)}"
        record = {"out_trade_no": order.out_trade_no, "state": order.state,
                  "amount_fen": order.amount_fen, "detail": order.detail,
                  "method": order.method}  # fmt: skip
        self.outbox.add("payment", record, session=order.session, key=key)
