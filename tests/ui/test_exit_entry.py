"""The exit-entry application (issue #23) through the real QML on every simulated
device, as `make run` gives it: the card on the reader, the face check, the form's
choices and phones, a studio's photo receipt on the scanner, the fingers, a signature
on the pad (the simulated citizen signs and taps the pad's 确认), the fee, the slip.
The touch count is the session's step records' (tests/ui/test_touches.py), written
to the README's Measured table and docs/touchscreen.md."""

from __future__ import annotations

import pytest

from tests.ui.helpers import on_simulated_devices, tap
from tests.ui.test_touches import Plan, keys, serve

pytestmark = pytest.mark.service

PHONE, EMERGENCY = "13912345678", "13800138000"
TARGET = 33  # the tile, six choices, 24 for two phones, confirm, rating


def contacts(kiosk) -> None:
    """Two phones on the keypad, each handed on with Next (the second field shows then)."""
    for number in (PHONE, EMERGENCY):
        for key in keys(number):
            tap(kiosk, key)
        tap(kiosk, "button_next")
        kiosk.settle(300)


PLAN: Plan = {
    "document": ["option_passport"],
    "face_consent": ["option_agree"],
    "household": ["option_local"],
    "destination": ["option_europe"],
    "purpose": ["option_tourism"],
    "contacts": contacts,
    "photo_source": ["option_receipt"],
    "check": ["button_confirm"],
    "rating": ["rate_5"],
}


@pytest.fixture
def terminal(qapp, pcscd_service, tmp_path):
    with on_simulated_devices(tmp_path) as built:
        yield built


def test_a_passport_application_end_to_end_and_its_touches(qtbot, terminal) -> None:
    steps = serve(qtbot, terminal, "exit_entry_application", PLAN)
    path = [(s["step"], s["mode"], s["left_by"], s["taps"]) for s in steps]
    names = [s["step"] for s in steps]
    assert steps[-1]["step"] == "finished" and steps[-1]["mode"] == "normal", path
    # the devices' steps each done by the device, none refused or failed on the way
    for step in ("read_card", "face", "scan_receipt", "fingerprints", "signature", "pay",
                 "submit", "slip", "give_back"):  # fmt: skip
        assert step in names, path
    assert all(s["left_by"] in ("answer", "completed", "timeout") for s in steps), path
    # the signature is the pad's: its own 确认, no press on the screen
    assert next(s for s in steps if s["step"] == "signature")["taps"] == 0, path
    taps = terminal.shell.last_taps
    by_step = {s["step"]: s["taps"] for s in steps if s["taps"]}
    print(f"exit_entry_application: {taps} taps {by_step}")
    print([(s["step"], s["left_by"], round(s["left_at"] - s["entered_at"], 1)) for s in steps])
    assert by_step["contacts"] == 2 * 11 + 2  # the digits and two Nexts, nothing lost
    assert taps == 1 + sum(s["taps"] for s in steps)  # the tile, then every step's
    assert taps <= TARGET, (taps, by_step)
