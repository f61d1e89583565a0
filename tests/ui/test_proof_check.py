"""Proof verification (电子证明核查) through the real QML on the serial code scanner's
simulator and our driver: someone at the screen opens the check (from the finder's
"核验证明"), holds the proof's QR code to the scanner, and reads the verdict, what
the proof names (the holder masked as printed), its kind and validity; an altered code
and another kind of code are refused with why. Nothing of the code stays after the
session. The proofs are signed with wire/proof's encoder for a key the check trusts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from drivers.scanner.driver import SerialScanner
from drivers.scanner.simulator import ScannerSimulator
from kiosk.steps.chain import ServiceChain
from kiosk.steps.devices import DeviceServices
from kiosk.steps.proof_check import ProofChecks
from tests.integration.test_proof_verification import ISSUER, KEY, one_byte_changed, payload
from tests.ui.helpers import find, shown, tap, texts
from ui.gallery import fresh
from wire.proof import encode, verification_code


@pytest.fixture
def terminal(qapp) -> Iterator:
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    simulator = ScannerSimulator().start()
    scanner = SerialScanner(simulator.address)
    assert scanner.open().result().ok
    # nobody shows a code by themselves here: the test holds each to the scanner
    services = ServiceChain(DeviceServices({"scanner": scanner}, fallback=None),
                            ProofChecks(lambda: {ISSUER: KEY.public}))  # fmt: skip
    built = Kiosk(shell_factory(catalogue(), step_services=services), catalogue(),
                  size=(1080, 1920))  # fmt: skip
    built.window.show()
    built.settle(100)
    built.scanner = simulator
    try:
        yield built
    finally:
        built.close()
        scanner.close()
        simulator.stop()


def scan(qtbot, kiosk, code: str) -> None:
    """From the home screen to the scan step, then the code held to the scanner."""
    fresh(kiosk, "zh_CN", False)
    kiosk.settle(60)
    tap(kiosk, "tile_proof_verification")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "scan", timeout=5_000)
    assert "请将证明上的二维码对准扫码区" in texts(kiosk)
    kiosk.scanner.present(code)


def finish(qtbot, kiosk) -> None:
    qtbot.waitUntil(lambda: kiosk.shell.stepType == "done", timeout=5_000)
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)


def test_a_genuine_proof_checked_from_the_finder(qtbot, terminal):
    kiosk = terminal
    made = payload(random.Random(7), expires=date.today() + timedelta(days=60))
    code = encode(made, KEY)
    fresh(kiosk, "zh_CN", False)
    kiosk.settle(60)
    tap(kiosk, "button_finder")
    tap(kiosk, "choice_check_proof")
    tap(kiosk, "result_proof_verification")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "scan", timeout=5_000)
    kiosk.scanner.present(code)
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "genuine", timeout=10_000)
    shown_texts = texts(kiosk)
    assert "✓ 证明真实，在有效期内" in shown_texts
    title = {"cr": "无犯罪记录证明", "hh": "户籍证明", "rs": "居住证明"}[made.t]
    for expected in (title, made.n, made.u, made.s, verification_code(code),
                     f"{made.expires:%Y-%m-%d}", "证明对象（部分隐去）"):  # fmt: skip
        assert expected in shown_texts, expected
    assert made.n.endswith("*") and shown(find(kiosk, "button_confirm"))
    assert find(kiosk, "button_confirm").property("label") == "看完了"
    tap(kiosk, "button_confirm")
    finish(qtbot, kiosk)
    # the finder's button, its choice, the tile, 看完了, finish (the done screen needs none)
    assert kiosk.shell.last_taps == 5
    # nothing of the proof is left with the screen or the services
    assert kiosk.shell.driver.session is None and code not in str(texts(kiosk))


def test_an_altered_code_is_refused_with_why(qtbot, terminal):
    kiosk = terminal
    rng = random.Random(8)
    genuine = encode(payload(rng, expires=date.today() + timedelta(days=9)), KEY)
    code = one_byte_changed(genuine, rng)
    scan(qtbot, kiosk, code)
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "not_genuine", timeout=10_000)
    shown_texts = texts(kiosk)
    assert "✗ 证明没有通过核验" in shown_texts
    assert "二维码的签名与内容不符：证明可能被改动或伪造。" in shown_texts
    assert any("请向出具证明的公安机关核实" in t for t in shown_texts)
    tap(kiosk, "button_continue")
    finish(qtbot, kiosk)


def test_an_expired_proof_is_said_to_be_expired(qtbot, terminal):
    kiosk = terminal
    made = payload(random.Random(9), expires=date.today() - timedelta(days=3))
    scan(qtbot, kiosk, encode(made, KEY))
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "expired", timeout=10_000)
    assert "⚠ 证明是真的，但已过有效期" in texts(kiosk)
    assert f"{made.expires:%Y-%m-%d}" in texts(kiosk)
    tap(kiosk, "button_confirm")
    finish(qtbot, kiosk)
    assert kiosk.shell.last_taps == 3  # the tile, 看完了, finish


def test_another_kind_of_code_is_not_a_proof(qtbot, terminal):
    kiosk = terminal
    scan(qtbot, kiosk, "APPT-2026-1123")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "not_a_proof", timeout=10_000)
    assert "没有读到证明的二维码" in texts(kiosk)
    tap(kiosk, "button_continue")
    finish(qtbot, kiosk)
