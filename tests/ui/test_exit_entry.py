"""The exit-entry application (issue #23) through the real QML on every simulated
device, as `make run` gives it: the card on the reader, the face check, the form's
choices and phones, a studio's photo receipt on the scanner, the fingers, a signature
on the pad (the simulated citizen signs and taps the pad's 确认), the fee, the slip.
The touch count is the session's step records' (tests/ui/test_touches.py), written
to the README's Measured table and docs/touchscreen.md."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiosk.strings import catalogue
from tests.ui.helpers import on_simulated_devices, tap
from tests.ui.test_touches import Plan, keys, serve

pytestmark = pytest.mark.service

EMERGENCY = "13912345678"
TARGET = 22  # the tile, six choices, the phone on file, 12 for the other phone, two more


def contacts(kiosk) -> None:
    """The citizen's own number is the one on file (one tap); the emergency contact's
    is typed on the keypad and handed on with Next."""
    tap(kiosk, "button_use_known")
    kiosk.settle(300)  # the second field shows then
    for key in keys(EMERGENCY):
        tap(kiosk, key)
    tap(kiosk, "button_next")


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
    # the slip on the receipt printer's simulator: the application and its day, in words
    slip = "\n".join(terminal.devices.simulators["receipt_printer"].slips[-1].lines)
    said = catalogue().text
    assert said("documents.slip.exit_entry.title", "zh_CN") in slip
    assert said("flow.exit_entry.document.passport", "zh_CN") in slip
    assert (date.today() + timedelta(days=7)).isoformat() in slip
    assert by_step["contacts"] == 1 + 11 + 1  # the known number, the digits, Next
    assert taps == 1 + sum(s["taps"] for s in steps)  # the tile, then every step's
    assert taps <= TARGET, (taps, by_step)
