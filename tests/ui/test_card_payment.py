"""The pay screen's bank card: one tap on "bank card" and the payment code is no
longer awaited; the card terminal's driver takes the sale, the screen and the voice
say where to put the card, and the flow goes on paid."""

from __future__ import annotations

import pytest

from drivers.card_payment.driver import EcrTerminal
from drivers.card_payment.simulator import BankProfile, EcrSimulator
from drivers.scanner.driver import SerialScanner
from drivers.scanner.simulator import ScannerSimulator
from flows.demo import DemoServices
from kiosk.steps.chain import ServiceChain
from kiosk.steps.payments import BankCardPay, PaymentServices, QrMicropay
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from offline_cache.payments import PaymentBook
from tests.ui.helpers import find, tap, texts
from tests.ui.test_session import PHONE, to_the_confirm_step, wait_for
from wire import crypto


@pytest.fixture
def paying_kiosk(kiosk, tmp_path):
    bank = EcrSimulator(BankProfile(card_delay_s=0.3)).start()
    scanner_sim = ScannerSimulator().start()
    card_terminal, scanner = EcrTerminal(bank.address), SerialScanner(scanner_sim.address)
    assert card_terminal.open().result().ok and scanner.open().result().ok
    db = connect(tmp_path / "kiosk.db")
    keyring = Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite)
    book = PaymentBook(Outbox(db, keyring))
    card = BankCardPay(card_terminal, book, "T1", book.outbox.clock)
    chain = ServiceChain(PaymentServices(scanner, QrMicropay(None, book, "T1"), card=card))
    chain.fallback = DemoServices(speed=20.0)
    kiosk.shell.step_services = chain
    chain.progress = kiosk.shell._progressed.emit
    kiosk.bank, kiosk.book = bank, book
    try:
        yield kiosk
    finally:
        for driver in (card_terminal, scanner):
            driver.close()
        bank.stop()
        scanner_sim.stop()
        db.close()


def test_a_tap_on_bank_card_pays_on_the_card_terminal(qtbot, paying_kiosk):
    kiosk = paying_kiosk
    to_the_confirm_step(qtbot, kiosk)
    tap(kiosk, "button_confirm")
    wait_for(qtbot, kiosk, "pay")
    tap(kiosk, "button_bank_card")
    qtbot.waitUntil(lambda: kiosk.shell.progress.get("method") == "bank_card", timeout=5_000)
    assert not kiosk.shell.cardPayment  # chosen: the button has gone
    assert find(kiosk, "pay_how").property("text") == kiosk.strings.text(
        "ui.pay.card_insert", "zh_CN"
    )
    assert "ui.pay.card_insert" in [message for _, message in kiosk.shell.voice.spoken]
    wait_for(qtbot, kiosk, "rate", timeout=20_000)
    (sale,) = [o for o, state in kiosk.bank.profile.ledger.items() if state == "APPROVED"]
    order = kiosk.book.get(sale)
    assert order is not None and (order.method, order.state, order.amount_fen) == (
        "bank_card", "SUCCESS", 2000
    )  # fmt: skip
    assert PHONE not in " ".join(texts(kiosk))
