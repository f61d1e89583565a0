"""QR micropay at the terminal: the citizen shows a payment code to the scanner and
the terminal asks the gateway to take the money, never twice, never losing track.

The order number is made once and stored first (offline_cache/payments.py), then
the gateway is asked. SUCCESS is paid and FAIL is not paid. USERPAYING, SYSTEMERROR
or no answer mean *unknown*: the order is queried for a bounded time. Still
unknown after that, it is reversed, again while the gateway says `recall`. A
reverse that never succeeds leaves the order unknown, for the reconciliation. Each
state goes to the backend through the outbox.

The two bugs of a widely copied official sample are avoided on purpose: the
reverse's success is tested as success (not inverted), and the query loop ends
even while the citizen is still typing the password.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from kiosk.sync.client import BackendClient, Refused, Unavailable
from offline_cache.payments import PaymentBook
from wire.payments import Micropay, MicropayReply, OrderRef, OrderState, ReverseReply, TradeState

log = logging.getLogger("kiosk.payments")
Finish = Callable[[dict[str, Any]], None]

QUERY_EVERY_S = 3.0
QUERY_FOR_S = 45.0  # a citizen typing a password takes seconds, not minutes
REVERSE_TRIES = 5
FINAL_FAILED = {TradeState.PAYERROR, TradeState.REVOKED, TradeState.CLOSED, TradeState.REFUND}


@dataclass(frozen=True)
class Outcome:
    out_trade_no: str
    state: str  # paid, failed, reversed, unknown (the flows' Payment states)
    detail: str | None = None


class QrMicropay:
    def __init__(
        self,
        client: BackendClient,
        book: PaymentBook,
        terminal: str,
        sleep: Callable[[float], bool] | None = None,
        query_every_s: float = QUERY_EVERY_S,
        query_for_s: float = QUERY_FOR_S,
    ) -> None:
        self.client = client
        self.book = book
        self.terminal = terminal
        self.stop = threading.Event()
        # waits, and says whether to give up (the session was cancelled)
        self.sleep = sleep or (lambda seconds: self.stop.wait(seconds))
        self.query_every_s = query_every_s
        self.query_for_s = query_for_s

    def new_order(self, now: float) -> str:
        stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H%M%S")
        return f"K{self.terminal[-6:]}{stamp}{secrets.token_hex(3).upper()}"[:32]

    def pay(
        self, amount_fen: int, auth_code: str, description: str, session: str | None
    ) -> Outcome:
        order = self.new_order(self.client.clock())
        self.book.open(order, amount_fen, session)  # stored before the gateway hears of it
        ask = Micropay(out_trade_no=order, amount_fen=amount_fen, auth_code=auth_code,
                       description=description[:80])  # fmt: skip
        try:
            reply = MicropayReply.model_validate_json(
                self.client.call("POST", "/gateway/micropay", ask).content
            )
        except (Unavailable, ValidationError):
            reply = None  # no answer: it may or may not have been paid
        except Refused as exc:
            self.book.change(order, TradeState.PAYERROR, exc.code)
            return Outcome(order, "failed", exc.code)
        if reply is not None and reply.result == "SUCCESS":
            self.book.change(order, TradeState.SUCCESS, reply.transaction_id)
            return Outcome(order, "paid", reply.transaction_id)
        if reply is not None and reply.result == "FAIL":
            self.book.change(order, TradeState.PAYERROR, reply.err_code)
            return Outcome(order, "failed", reply.err_code)
        if reply is None:
            self.book.change(order, "UNKNOWN", "no answer")
        else:
            self.book.change(order, TradeState.USERPAYING, reply.err_code)
        return self.settle(order)

    def settle(self, order: str, query_for_s: float | None = None) -> Outcome:
        """An order whose outcome is unknown: query for a while, then reverse it."""
        waited, limit = 0.0, self.query_for_s if query_for_s is None else query_for_s
        while waited < limit:
            if self.sleep(self.query_every_s):
                break  # the session is over: stop asking, reverse
            waited += self.query_every_s
            try:
                state = OrderState.model_validate_json(
                    self.client.call(
                        "POST", "/gateway/orderquery", OrderRef(out_trade_no=order)
                    ).content
                ).trade_state
            except (Unavailable, ValidationError):
                continue
            except Refused:
                break  # the gateway never saw it: reversing closes it for good
            if state == TradeState.SUCCESS:
                self.book.change(order, TradeState.SUCCESS)
                return Outcome(order, "paid")
            if state in FINAL_FAILED:
                self.book.change(order, state)
                return Outcome(order, "failed", state)
        return self.reverse(order)

    def reverse(self, order: str) -> Outcome:
        for _ in range(REVERSE_TRIES):
            try:
                reply = ReverseReply.model_validate_json(
                    self.client.call(
                        "POST", "/gateway/reverse", OrderRef(out_trade_no=order)
                    ).content
                )
            except (Unavailable, ValidationError, Refused):
                self.sleep(self.query_every_s)
                continue
            if reply.result == "SUCCESS":  # cancelled: no money was taken, or it was given back
                self.book.change(order, TradeState.REVOKED)
                return Outcome(order, "reversed")
            if not reply.recall:
                break
            self.sleep(self.query_every_s)
        log.error("order %s: outcome unknown after the reverse; left for reconciliation", order)
        self.book.change(order, "UNKNOWN", "reverse failed")
        return Outcome(order, "unknown")


class PaymentServices:
    """The flows' `pay` step by QR micropay: the scanner reads the citizen's payment
    code (the pay screen asks for it), then the gateway is asked."""

    def __init__(
        self,
        scanner: Any,
        micropay: QrMicropay,
        citizen: Callable[[str, dict[str, Any]], None] = lambda step, params: None,
        scan_timeout_s: float = 120.0,
    ) -> None:
        self.scanner = scanner
        self.micropay = micropay
        self.citizen = citizen
        self.scan_timeout_s = scan_timeout_s
        self.fallback = None

    def serves(self, step_type: str) -> bool:
        return step_type == "pay"

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        amount = int(inputs.get("amount_fen") or 0)
        handle = self.scanner.read_code(self.scan_timeout_s)
        self.citizen("pay", params)
        self.micropay.stop.clear()

        def run() -> None:
            done = handle.result()
            if not done.ok:
                finish({"fail": done.code.value, "recovery": "user_action"})
                return
            if done.data.get("kind") != "payment_code":
                finish({"fail": "invalid_data", "recovery": "user_action"})
                return
            if amount <= 0:  # nothing to pay (a free renewal in some cities)
                finish({"result": {"payment_ref": "FREE", "state": "paid", "amount_fen": 0}})
                return
            outcome = self.micropay.pay(amount, str(done.data["text"]), "公安自助服务", None)
            finish({"result": {"payment_ref": outcome.out_trade_no, "state": outcome.state,
                               "amount_fen": amount}})  # fmt: skip

        threading.Thread(target=run, daemon=True, name="pay").start()

        def cancel() -> None:
            handle.cancel()
            self.micropay.stop.set()  # an unknown order is reversed, not left open

        return cancel

    def wipe(self) -> None:
        """The payment code was never kept; the order book is not personal data."""
