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
SALE_TIMEOUT_S = 90.0  # the card, the PIN, the bank: then the sale's outcome is unknown
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
        return new_order(self.terminal, now)

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


def new_order(terminal: str, now: float) -> str:
    """An order number unique across the fleet, made before anyone is asked."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H%M%S")
    return f"K{terminal[-6:]}{stamp}{secrets.token_hex(3).upper()}"[:32]


class BankCardPay:
    """A sale on the bank-card terminal (drivers/card_payment/PROTOCOL.md), by the
    same rules as QR micropay: the order is stored first; a sale whose result did
    not come is queried, then voided; one still unknown is left for the bank's
    settlement file. It needs no backend: the card terminal has its own line."""

    def __init__(
        self,
        card_terminal: Any,
        book: PaymentBook,
        terminal: str,
        clock: Callable[[], float],
        sleep: Callable[[float], bool] | None = None,
        query_every_s: float = QUERY_EVERY_S,
        query_tries: int = 5,
        sale_timeout_s: float = SALE_TIMEOUT_S,
    ) -> None:
        self.card_terminal = card_terminal
        self.sale_timeout_s = sale_timeout_s
        self.book = book
        self.terminal = terminal
        self.clock = clock
        self.stop = threading.Event()
        self.sleep = sleep or (lambda seconds: self.stop.wait(seconds))
        self.query_every_s = query_every_s
        self.query_tries = query_tries

    def pay(self, amount_fen: int, session: str | None) -> Outcome:
        order = new_order(self.terminal, self.clock())
        self.book.open(order, amount_fen, session, method="bank_card")
        sale = self.card_terminal.sale(order, amount_fen, self.sale_timeout_s)
        # the session may end while the citizen stands at the PIN pad: then the sale
        # is cancelled (its outcome unknown: queried, voided below)
        while not sale.finished(within_s=0.2):
            if self.stop.is_set():
                sale.cancel()
                break
        done = sale.result()
        if done.ok:
            self.book.change(order, TradeState.SUCCESS)
            return Outcome(order, "paid")
        if done.error == "declined":  # the bank said no: another card, or a QR code
            self.book.change(order, TradeState.PAYERROR, "declined")
            return Outcome(order, "failed", "declined")
        self.book.change(order, "UNKNOWN", done.error or done.code.value)
        return self.settle(order)

    def settle(self, order: str, keep_paid: bool = True) -> Outcome:
        """Query the order; paid and `keep_paid` (the session goes on) is paid, else
        it is voided. After a restart nobody is served: a paid order is voided."""
        for attempt in range(self.query_tries):
            if attempt and self.sleep(self.query_every_s):
                break  # the session is over: void it
            done = self.card_terminal.query(order).result()
            if not done.ok:
                continue
            state = done.data["state"]
            if state == "paid" and keep_paid:
                self.book.change(order, TradeState.SUCCESS)
                return Outcome(order, "paid")
            if state == "paid":
                break
            if state in ("failed", "not_found"):  # never charged
                self.book.change(order, TradeState.CLOSED, state)
                return Outcome(order, "failed", state)
            if state in ("voided", "refunded"):
                self.book.change(order, TradeState.REVOKED, state)
                return Outcome(order, "reversed")
        return self.void(order)

    def void(self, order: str) -> Outcome:
        done = self.card_terminal.void(order).result()
        if done.ok and done.data["state"] == "voided":
            self.book.change(order, TradeState.REVOKED)
            return Outcome(order, "reversed")
        if done.ok and done.data["state"] == "not_found":
            self.book.change(order, TradeState.CLOSED, "not_found")
            return Outcome(order, "failed", "not_found")
        log.error("card order %s: outcome unknown after the void; left for the bank", order)
        self.book.change(order, "UNKNOWN", "void failed")
        return Outcome(order, "unknown")


def settle_card_orders(card: BankCardPay) -> None:
    """Card orders a crash left unknown: queried, and voided if paid (the session
    that made them is gone, its service never given)."""
    for order in card.book.unsettled("bank_card"):
        outcome = card.settle(order.out_trade_no, keep_paid=False)
        log.warning("card order %s settled after a restart: %s", order.out_trade_no,
                    outcome.state)  # fmt: skip


class PaymentServices:
    """The flows' `pay` step: by QR micropay (the scanner reads the citizen's payment
    code, which the pay screen asks for, then the gateway is asked), or by bank card
    when the citizen taps for it (or when the terminal takes nothing else)."""

    def __init__(
        self,
        scanner: Any,
        micropay: QrMicropay | None,
        citizen: Callable[[str, dict[str, Any]], None] = lambda step, params: None,
        scan_timeout_s: float = 120.0,
        card: BankCardPay | None = None,
    ) -> None:
        self.scanner = scanner if micropay is not None else None
        self.micropay = micropay
        self.citizen = citizen
        self.scan_timeout_s = scan_timeout_s
        self.card = card
        self.fallback = None
        self.progress: Callable[[dict[str, Any]], None] = lambda news: None
        self._use_card = threading.Event()
        self._scan: Any = None  # the payment code's read, while it is awaited

    @property
    def takes_cards(self) -> bool:
        return self.card is not None

    def serves(self, step_type: str) -> bool:
        return step_type == "pay" and (self.scanner is not None or self.card is not None)

    def use_card(self) -> None:
        """The citizen tapped "bank card": the code is no longer awaited."""
        if self.card is not None:
            self._use_card.set()
            scan = self._scan
            if scan is not None:
                scan.cancel()

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        amount = int(inputs.get("amount_fen") or 0)
        self._use_card.clear()
        for way in (self.micropay, self.card):
            if way is not None:
                way.stop.clear()
        self._scan = self.scanner.read_code(self.scan_timeout_s) if self.scanner else None
        self.citizen("pay", params)
        # the step was aborted (the citizen cancelled, the time ran out): money taken
        # after that moment is given back, for no answer reaches the flow any more
        cancelled = threading.Event()

        def run() -> None:
            done = self._scan.result() if self._scan is not None else None
            self._scan = None
            if amount <= 0:  # nothing to pay (a free renewal in some cities)
                finish({"result": {"payment_ref": "FREE", "state": "paid", "amount_fen": 0}})
            elif self.card is not None and (done is None or (self._use_card.is_set()
                                                             and not done.ok)):  # fmt: skip
                self.progress({"method": "bank_card"})  # the screen: the card terminal now
                outcome = self.card.pay(amount, None)
                if outcome.state == "paid" and cancelled.is_set():
                    outcome = self.card.void(outcome.out_trade_no)  # nobody to serve now
                finish(_paid(outcome, amount))
            elif done is None or not done.ok:
                finish({"fail": done.code.value if done else "unsupported",
                        "recovery": "user_action"})  # fmt: skip
            elif done.data.get("kind") != "payment_code" or self.micropay is None:
                finish({"fail": "invalid_data", "recovery": "user_action"})
            else:
                outcome = self.micropay.pay(amount, str(done.data["text"]), "公安自助服务", None)
                if outcome.state == "paid" and cancelled.is_set():
                    outcome = self.micropay.reverse(outcome.out_trade_no)  # nobody to serve now
                finish(_paid(outcome, amount))

        threading.Thread(target=run, daemon=True, name="pay").start()

        def cancel() -> None:
            cancelled.set()
            if self._scan is not None:
                self._scan.cancel()
            for way in (self.micropay, self.card):
                if way is not None:
                    way.stop.set()  # an unknown order is reversed, not left open

        return cancel

    def wipe(self) -> None:
        """The payment code was never kept; the order book is not personal data."""


def _paid(outcome: Outcome, amount: int) -> dict[str, Any]:
    return {"result": {"payment_ref": outcome.out_trade_no, "state": outcome.state,
                       "amount_fen": amount}}  # fmt: skip
