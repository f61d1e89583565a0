"""Bank-card payment at the terminal, on the ECR driver over a pty to the card
terminal's simulator: approved, declined, a lost result found paid by the query,
a cancelled sale voided, a crash's unknown order voided after the restart; never
charged twice, every state queued for the backend, whose reconciliation leaves
card sales to the bank's own file."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import pytest

from drivers.card_payment.driver import EcrTerminal
from drivers.card_payment.simulator import BankProfile, EcrSimulator
from drivers.scanner.driver import SerialScanner
from drivers.scanner.simulator import ScannerSimulator
from kiosk.steps.payments import BankCardPay, PaymentServices, QrMicropay, settle_card_orders
from offline_cache.payments import PaymentBook
from tests.backend.harness import Clock
from tests.services.backend import LiveBackend
from tests.sync.conftest import Terminal, reconciliation


@pytest.fixture
def bank():
    simulator = EcrSimulator(BankProfile(card_delay_s=0.1)).start()
    driver = EcrTerminal(simulator.address)
    assert driver.open().result().ok
    yield simulator, driver
    driver.close()
    simulator.stop()


def card_pay(terminal: Terminal, driver: EcrTerminal) -> BankCardPay:
    return BankCardPay(driver, PaymentBook(terminal.outbox), terminal.identity.terminal_id,
                       terminal.outbox.clock, sleep=lambda s: False, sale_timeout_s=3)  # fmt: skip


def states_queued(terminal: Terminal, order: str) -> list[str]:
    return [r.record["state"] for r in terminal.outbox.due(limit=500)
            if r.kind == "payment" and r.record["out_trade_no"] == order]  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "state", "book", "sales"),
    [
        ("approve", "paid", "SUCCESS", 1),
        ("decline", "failed", "PAYERROR", 0),
        ("lost", "paid", "SUCCESS", 1),  # the result never came: the query finds it paid
        ("unknown", "reversed", "REVOKED", 0),  # the bank did not answer: voided
    ],
)
def test_each_card_outcome_ends_settled(terminal, bank, answer, state, book, sales) -> None:
    simulator, driver = bank
    simulator.profile.answer = answer
    pay = card_pay(terminal, driver)
    outcome = pay.pay(4000, "s1")
    assert outcome.state == state
    order = pay.book.get(outcome.out_trade_no)
    assert order is not None and (order.state, order.method) == (book, "bank_card")
    assert pay.book.unsettled("bank_card") == []
    assert simulator.sales == sales
    assert states_queued(terminal, outcome.out_trade_no)[0] == "NOTPAY"  # stored first
    assert states_queued(terminal, outcome.out_trade_no)[-1] == book


def test_a_session_ended_at_the_pin_pad_voids_the_sale(terminal, bank) -> None:
    simulator, driver = bank
    simulator.profile.card_delay_s = 1.0  # the citizen is still typing the PIN
    pay = card_pay(terminal, driver)
    pay.stop.set()  # the session ends (timeout, cancel) meanwhile
    outcome = pay.pay(4000, "s2")
    assert outcome.state == "reversed"  # aborted at the terminal, never charged
    time.sleep(1.5)  # past the moment the card would have been charged
    assert simulator.profile.ledger[outcome.out_trade_no] == "VOIDED" and simulator.sales == 0


def test_after_a_restart_an_unknown_card_order_is_voided(terminal, bank) -> None:
    simulator, driver = bank
    simulator.profile.answer = "lost"
    pay = card_pay(terminal, driver)
    order = "K-CRASHED-1"
    pay.book.open(order, 4000, "s3", method="bank_card")  # stored first, then the crash
    assert not driver.sale(order, 4000, timeout_s=2).result().ok  # charged, answer lost
    pay.book.change(order, "UNKNOWN", "payment_unknown")
    settle_card_orders(pay)
    assert pay.book.get(order).state == "REVOKED"  # type: ignore[union-attr]
    assert simulator.profile.ledger[order] == "VOIDED" and simulator.sales == 1


def test_the_pay_step_takes_a_card_when_the_citizen_taps_for_it(terminal, bank) -> None:
    _, driver = bank
    scanner_sim = ScannerSimulator().start()
    scanner = SerialScanner(scanner_sim.address)
    assert scanner.open().result().ok
    try:
        micropay = QrMicropay(terminal.client, PaymentBook(terminal.outbox), "T1")
        services = PaymentServices(scanner, micropay, card=card_pay(terminal, driver))
        assert services.takes_cards
        news: list[dict[str, Any]] = []
        services.progress = news.append
        answers: queue.Queue[dict[str, Any]] = queue.Queue()
        services.start("pay", {"methods": ["wechat", "bank_card"]}, {"amount_fen": 3000},
                       answers.put)  # fmt: skip
        services.use_card()  # no payment code shown: the citizen taps "bank card"
        paid = answers.get(timeout=20)["result"]
        assert (paid["state"], paid["amount_fen"]) == ("paid", 3000)
        order = micropay.book.get(paid["payment_ref"])
        assert order is not None and order.method == "bank_card"
        assert news == [{"method": "bank_card"}]  # the screen says: the card terminal now
    finally:
        scanner.close()
        scanner_sim.stop()


def test_the_reconciliation_leaves_card_sales_to_the_bank(
    terminal: Terminal, bank, live_backend: LiveBackend, clock: Clock
) -> None:
    _, driver = bank
    card_pay(terminal, driver).pay(4000, "s4")
    assert terminal.link.relay.drain().failed == 0
    found = reconciliation(live_backend, clock)
    assert found["mismatches"] == [] and found["orders"] == 0


def test_money_taken_after_the_step_was_aborted_is_given_back() -> None:
    """The sale succeeds just as the citizen cancels: no answer reaches the flow any
    more, so the order is voided, never kept."""
    from kiosk.steps.payments import Outcome

    release = threading.Event()

    class SlowCard:  # a card terminal whose approval arrives after the cancel
        def __init__(self) -> None:
            self.stop = threading.Event()
            self.voided: list[str] = []

        def pay(self, amount_fen: int, session: str | None) -> Outcome:
            release.wait(10)
            return Outcome("K-LATE-1", "paid")

        def void(self, order: str) -> Outcome:
            self.voided.append(order)
            return Outcome(order, "reversed")

    card = SlowCard()
    services = PaymentServices(scanner=None, micropay=None, card=card)  # type: ignore[arg-type]
    answers: queue.Queue[dict[str, Any]] = queue.Queue()
    cancel = services.start("pay", {"methods": ["bank_card"]}, {"amount_fen": 3000}, answers.put)
    cancel()  # the citizen walked away
    release.set()
    assert answers.get(timeout=10)["result"]["state"] == "reversed"
    assert card.voided == ["K-LATE-1"]
