"""Each kind of proof on the touchscreen, through the real QML on every simulated
device as `make run` wires them without a backend (the simulated registry answers
for the card's holder): the tile, the ID card read, the face check with consent, the
other person's ID number typed on the keypad where the kind names one, the purpose,
the proof printed on the document printer (CUPS), the card taken back, the rating.

The printed page is the oracle's: its QR code read by zxing-cpp and its signature
checked with the issuer's public key by `cryptography` alone; its kind and the
details it states are what the citizen asked for. A relation the register does not
hold is refused with its reason on the screen and on the counter slip."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from kiosk.documents.keys import IssuingKey
from kiosk.sim_registry import SimulatedRegistry
from tests.proof_oracle import read_page, verified
from tests.ui.helpers import on_screen, on_simulated_devices, tap, tap_service, texts
from ui.gallery import fresh
from wire import crypto

pytestmark = pytest.mark.service

DAUGHTER, LATE_SPOUSE = "110101197506060326", "110101194808080345"  # the card holder's
# kind: (flow, the steps' taps by step id, what the page states in words)
KINDS = {
    "hh": ("household_proof", {"purpose": ["option_school"]}, ["景山前街4号", "入学"]),
    "rs": ("residence_proof", {"purpose": ["option_residence_permit"]}, ["自2020-01-01起"]),
    "br": ("birth_proof", {"purpose": ["option_travel"]}, ["于1949-12-31出生于北京市东城区"]),
    "kn": ("kinship_proof",
           {"relative": DAUGHTER, "relation": ["option_child"], "purpose": ["option_inheritance"]},
           ["测试子女", "系其女儿", "110101********0326"]),
    "dt": ("death_proof",
           {"relative": LATE_SPOUSE, "relation": ["option_spouse"], "purpose": ["option_funeral"]},
           ["测试配偶", "的配偶", "死亡登记"]),
}  # fmt: skip


@pytest.fixture(scope="module")
def terminal(qapp, tmp_path_factory):
    with on_simulated_devices(tmp_path_factory.mktemp("proofs"), camera_screen=True) as built:
        registry = next(p for p in built.step_services.parts if isinstance(p, SimulatedRegistry))
        # the intl suite's issuer key (Ed25519): one `cryptography` can check alone
        suite = crypto.suite("intl")
        registry.key = IssuingKey("sim-intl", suite.generate_private_key(), suite.new_mac_key())
        built.issuer = registry.key
        yield built


def serve(qtbot, kiosk, flow: str, plan: dict, until: str = "finished", limit_s: float = 90):
    """From the tile to `until`, tapping as the plan says at each step that asks."""
    tap_service(kiosk, flow)
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "face_consent", timeout=30_000)
    tap(kiosk, "option_agree")
    acted: set[str] = set()
    deadline = time.monotonic() + limit_s
    while kiosk.shell.stepId != until:
        assert time.monotonic() < deadline, (flow, kiosk.shell.stepId, kiosk.shell.failure)
        step = kiosk.shell.stepId
        if step in plan and step not in acted and _shown(kiosk, step, plan[step]):
            acted.add(step)
            if isinstance(plan[step], str):  # an ID number, on the form's keypad
                for character in plan[step]:
                    tap(kiosk, f"key_{character}")
                tap(kiosk, "button_next")
            else:
                for name in plan[step]:
                    tap(kiosk, name)
        elif step == "rating" and step not in acted and _shown(kiosk, step, ["rate_5"]):
            acted.add(step)
            tap(kiosk, "rate_5")
        qtbot.wait(100)
    assert set(plan) <= acted, (flow, acted)


def _shown(kiosk, step: str, action: str | list[str]) -> bool:
    return on_screen(kiosk, "key_1" if isinstance(action, str) else action[0])


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_proof_is_served_and_printed_genuine(qtbot, terminal, tmp_path, kind):
    kiosk = terminal
    flow, plan, words = KINDS[kind]
    printer = kiosk.devices.simulators["document_printer"]
    before = len(printer.received())
    serve(qtbot, kiosk, flow, plan)
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=10_000)
    assert [s["step"] for s in kiosk.shell.last_steps][-4:] == [
        "print_proof", "give_back", "rating", "finished"
    ]  # fmt: skip
    # the touches (docs/touchscreen.md, README): the proofs' tile and this one, consent,
    # the other person's ID number on the keypad and its Next, the relation, the purpose,
    # the stars, finish
    typed = len(plan.get("relative", "")) + 2 if "relative" in plan else 0
    assert kiosk.shell.last_taps == 2 + 1 + typed + 1 + 1 + 1, kiosk.shell.last_taps
    assert len(printer.received()) == before + 1
    code, page = read_page(printer.received()[-1], tmp_path)
    payload = verified(code, kiosk.issuer)
    assert payload["t"] == kind and payload["n"] == "钱**" and payload["d"]
    holder = kiosk.devices.simulators["id_card"].profile.citizen
    assert holder["id_number"] not in page and "110105********002X" in page
    for said in words:
        assert said in page, (kind, said)


def test_a_relation_the_register_does_not_hold_is_refused_with_its_reason(qtbot, terminal):
    kiosk = terminal
    receipts = kiosk.devices.simulators["receipt_printer"]
    slips = len(receipts.slips)
    plan = {"relative": DAUGHTER, "relation": ["option_spouse"], "purpose": ["option_other"]}
    serve(qtbot, kiosk, "kinship_proof", plan, until="not_issued")
    kiosk.settle(300)
    why = kiosk.strings.text("flow.why.relation_not_on_record", "zh_CN")
    assert why in texts(kiosk)
    tap(kiosk, "button_continue")
    qtbot.waitUntil(lambda: len(receipts.slips) > slips, timeout=30_000)
    assert why in "\n".join(receipts.slips[-1].lines)
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "cancelled", timeout=30_000)


def test_the_simulated_citizen_holds_up_a_genuine_proof_at_the_check(qtbot, terminal):
    """`make run`'s proof check: the simulated citizen shows the scanner a proof printed
    for the card's holder a week ago, signed by the key the terminal trusts (here the
    registry's; the embedded backend's under `make run`): genuine, and said so."""
    kiosk = terminal
    fresh(kiosk, "zh_CN", False)  # the home screen, whatever the test before left
    kiosk.settle(60)
    tap_service(kiosk, "proof_verification")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "genuine", timeout=30_000)
    kiosk.settle(100)
    shown = texts(kiosk)
    assert "✓ 证明真实，在有效期内" in shown and "无犯罪记录证明" in shown and "钱**" in shown
    tap(kiosk, "button_confirm")
    qtbot.waitUntil(lambda: kiosk.shell.stepType == "done", timeout=5_000)
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=10_000)
    # the paper itself, checked by the oracle (`cryptography` alone): the registry's
    # signature, a criminal-record proof of the card's holder, issued a week ago
    citizen = next(p.citizen for p in kiosk.step_services.parts if getattr(p, "citizen", None))
    payload = verified(citizen.proof_paper(), kiosk.issuer)
    week_ago = date.today() - timedelta(days=7)
    assert (payload["t"], payload["n"], payload["i"]) == ("cr", "钱**", f"{week_ago:%Y%m%d}")
