"""QR micropay at the terminal against the gateway simulator over loopback: every
case ends paid, failed, reversed or (only when the gateway never answers a reverse)
unknown; never charged twice; and the backend's reconciliation agrees with the
terminal afterwards."""

from __future__ import annotations

import queue
from typing import Any

import pytest

from drivers.scanner.driver import SerialScanner
from drivers.scanner.simulator import ScannerSimulator
from kiosk.simulated import SimulatedCitizen
from kiosk.steps.payments import PaymentServices, QrMicropay
from kiosk.sync.terminal import _settle_unknown_payments
from offline_cache.payments import PaymentBook
from tests.backend.harness import Clock
from tests.services.backend import LiveBackend
from tests.sync.conftest import Terminal, reconciliation
from wire.payments import Micropay, OrderRef

CODE = "1345678901234567"  # + two digits; the last picks the gateway's case


@pytest.fixture
def micropay(terminal: Terminal) -> QrMicropay:
    queries: list[float] = []
    pay = QrMicropay(terminal.client, PaymentBook(terminal.outbox), terminal.identity.terminal_id,
                     sleep=lambda s: queries.append(s) and False, query_for_s=12)  # fmt: skip
    pay.waits = queries  # type: ignore[attr-defined]
    return pay


@pytest.mark.parametrize(
    ("last", "state", "book"),
    [
        ("0", "paid", "SUCCESS"),
        ("1", "failed", "PAYERROR"),  # balance too low
        ("7", "failed", "PAYERROR"),  # the code expired
        ("2", "paid", "SUCCESS"),  # typed the password in time: found by the query
        ("6", "failed", "PAYERROR"),  # cancelled on the phone
        ("4", "paid", "SUCCESS"),  # a system error, but it was paid
        ("3", "reversed", "REVOKED"),  # never paid: reversed after a recall
    ],
)
def test_each_gateway_case_ends_settled(
    micropay: QrMicropay, last: str, state: str, book: str
) -> None:
    outcome = micropay.pay(2000, CODE + "0" + last, "身份证换领", "s1")
    assert outcome.state == state
    assert micropay.book.get(outcome.out_trade_no).state == book  # type: ignore[union-attr]
    assert micropay.book.unsettled() == []


def test_a_lost_answer_is_found_paid_by_the_query(micropay: QrMicropay) -> None:
    outcome = micropay.pay(2000, CODE + "05", "身份证换领", "s1")  # the answer never comes
    assert outcome.state == "paid"


def test_the_query_ends_while_the_citizen_is_still_typing(micropay: QrMicropay) -> None:
    outcome = micropay.pay(2000, CODE + "03", "x", None)
    assert len(micropay.waits) <= 12 / 3 + 2  # type: ignore[attr-defined]
    assert outcome.state == "reversed"


def test_a_gateway_that_never_answers_leaves_the_order_for_reconciliation(
    micropay: QrMicropay, live_backend: LiveBackend
) -> None:
    live_backend.stop()
    outcome = micropay.pay(2000, CODE + "00", "x", None)
    assert outcome.state == "unknown"
    (order,) = micropay.book.unsettled()
    assert order.out_trade_no == outcome.out_trade_no and order.detail == "reverse failed"


def test_the_reconciliation_agrees_with_the_terminal(
    micropay: QrMicropay, terminal: Terminal, live_backend: LiveBackend, clock: Clock
) -> None:
    for last in "0123456":
        micropay.pay(1500, CODE + "0" + last, "x", f"session-{last}")
    assert terminal.link.relay.drain().failed == 0
    found = reconciliation(live_backend, clock)
    assert found["orders"] == 7 and found["mismatches"] == []
    assert found["paid_fen"] == 1500 * 4  # 0, 2, 4 and 5 were paid


def test_the_pay_step_reads_the_code_then_pays(terminal: Terminal, micropay: QrMicropay) -> None:
    simulator = ScannerSimulator().start()
    scanner = SerialScanner(simulator.address)
    assert scanner.open().result().ok
    try:
        citizen = SimulatedCitizen({"scanner": simulator}, delay_s=0.2)
        services = PaymentServices(scanner, micropay, citizen=citizen)
        answers: queue.Queue[dict[str, Any]] = queue.Queue()
        services.start("pay", {"methods": ["wechat"]}, {"amount_fen": 2000}, answers.put)
        paid = answers.get(timeout=20)
        assert paid["result"]["state"] == "paid" and paid["result"]["amount_fen"] == 2000
        assert micropay.book.get(paid["result"]["payment_ref"]).state == "SUCCESS"  # type: ignore[union-attr]
    finally:
        scanner.close()
        simulator.stop()


def test_after_a_restart_an_unknown_order_is_reversed_and_the_money_given_back(
    micropay: QrMicropay, terminal: Terminal, live_backend: LiveBackend
) -> None:
    order = micropay.new_order(terminal.client.clock())
    micropay.book.open(order, 2000, "s9")  # stored first, then the terminal died
    micropay.book.change(order, "UNKNOWN", "no answer")
    ask = Micropay(out_trade_no=order, amount_fen=2000, auth_code=CODE + "00", description="x")
    paid = terminal.client.call("POST", "/gateway/micropay", ask)
    assert paid.json()["result"] == "SUCCESS"  # the gateway had taken the money
    _settle_unknown_payments(terminal.link)
    assert micropay.book.get(order).state == "REVOKED"  # type: ignore[union-attr]
    state = terminal.client.call("POST", "/gateway/orderquery", OrderRef(out_trade_no=order)).json()
    assert (state["trade_state"], state["refunded_fen"]) == ("REVOKED", 2000)
