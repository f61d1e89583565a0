"""A permit endorsement on the touchscreen with every simulated device and our
drivers on them, wired as `make run` wires them: the scanner reads the permit's
MRZ, the permit goes in through the motorised card transport to its read/write
position (the PC/SC reader's field), the chip is read, the simulated citizen agrees
to the face check and passes it (the chip's face against the camera, on the real
matcher), the endorsement is written through pcscd, the slip comes out of the
ESC/POS printer, and the card is presented at the transport's gate and taken back
(or, not taken, captured into the retain bin with a retain slip); the backend and
the payment answer from the demo services (no backend here)."""

from __future__ import annotations

import pytest

from tests.ui.helpers import on_simulated_devices, tap

pytestmark = pytest.mark.service


@pytest.fixture
def terminal(qapp, pcscd_service, tmp_path):
    with on_simulated_devices(tmp_path) as built:
        states = built.states
        assert states["smartcard"] == "online" and states["receipt_printer"] == "online", states
        yield built


def test_an_endorsement_is_written_to_the_chip_and_its_slip_printed(qtbot, terminal):
    kiosk, card = terminal, terminal.devices.simulators["smartcard"]
    printer = terminal.devices.simulators["receipt_printer"]
    tap(kiosk, "tile_permit_endorsement")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "face_consent", timeout=30_000)
    tap(kiosk, "option_agree")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "face", timeout=5_000)
    # the challenge on the screen, from the check's own news
    qtbot.waitUntil(lambda: "challenge" in kiosk.shell.progress, timeout=20_000)
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "kind", timeout=60_000)
    for option in ("option_individual", "option_macau", "option_twice"):
        tap(kiosk, option)
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "check", timeout=5_000)
    tap(kiosk, "button_confirm")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "rating", timeout=30_000)
    slip = "\n".join(printer.slips[-1].lines)
    assert "张*" in slip and "张三" not in slip  # the holder, masked, from the chip
    profile = card.profile
    read = (
        terminal.devices.drivers["smartcard"]
        .read_permit(
            (profile.document_number, profile.birth_date, profile.expiry_date),
            bytes.fromhex(profile.issuer_key),
        )
        .result()
    )
    (endorsement,) = read.data["permit"].endorsements
    assert (endorsement.region, endorsement.kind, endorsement.trips) == ("MO", "G", 2)
    assert f"{endorsement.valid_until[:4]}-{endorsement.valid_until[4:6]}" in slip
    transport = terminal.devices.simulators["card_transport"]
    assert transport.position == "rw_position" and not transport.taken  # in, under the chip
    tap(kiosk, "rate_5")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=30_000)  # card taken
    assert transport.taken == ["permit"] and not transport.captured
    assert transport.position == "none"
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)


def test_a_permit_not_taken_back_is_retained_and_a_retain_slip_printed(qtbot, terminal):
    """The citizen cancels once the permit is in, and walks away: the card waits at
    the gate for the step's retain time, is captured into the retain bin, the retain
    slip (how to reclaim it) prints, and the step's result says retained."""
    kiosk = terminal
    transport = terminal.devices.simulators["card_transport"]
    printer = terminal.devices.simulators["receipt_printer"]
    transport.profile.takes_card = False
    (devices,) = [p for p in terminal.step_services.parts if hasattr(p, "retain_after_s")]
    devices.retain_after_s = 1.5
    slips_before = len(printer.slips)
    tap(kiosk, "tile_permit_endorsement")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "face_consent", timeout=30_000)
    assert transport.position == "rw_position"
    tap(kiosk, "button_cancel")
    qtbot.waitUntil(lambda: kiosk.shell.screen in ("done", "home"), timeout=30_000)
    assert transport.captured == ["permit"] and not transport.taken
    assert transport.position == "none" and transport.profile.bin_count == 1
    assert len(printer.slips) == slips_before + 1
    slip = "\n".join(printer.slips[-1].lines)
    assert "证件已暂存" in slip and "张" not in slip  # how to reclaim; nobody's name
