"""A permit endorsement on the touchscreen with every simulated device and our
drivers on them, wired as `make run` wires them: the scanner reads the permit's
MRZ, the permit goes in through the motorised card transport to its read/write
position (the PC/SC reader's field), the chip is read, the simulated citizen agrees
to the face check and passes it (the chip's face against the camera, on the real
matcher), the endorsement is written through pcscd, the slip comes out of the
ESC/POS printer, and the card is presented at the transport's gate and taken back
(or, not taken, captured into the retain bin with a retain slip); the backend and
the payment answer from the demo services (no backend here). Between the chip and the
slip, the endorsement goes onto the permit's rewritable back through the card printer
at the same read/write position; a card printer out of order sends the citizen to the
counter for the back (the chip holds the endorsement: no refund), the card given back."""

from __future__ import annotations

import pytest

from tests.ui.helpers import on_simulated_devices, tap, texts

pytestmark = pytest.mark.service


@pytest.fixture
def terminal(qapp, pcscd_service, tmp_path):
    with on_simulated_devices(tmp_path) as built:
        states = built.states
        assert states["smartcard"] == "online" and states["receipt_printer"] == "online", states
        yield built


def endorse_and_pay(qtbot, kiosk) -> None:
    """From the home screen to a paid endorsement (Macao, individual, twice)."""
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


def test_an_endorsement_is_written_to_the_chip_and_its_slip_printed(qtbot, terminal):
    kiosk, card = terminal, terminal.devices.simulators["smartcard"]
    printer = terminal.devices.simulators["receipt_printer"]
    card_printer = terminal.devices.simulators["card_printer"]
    endorse_and_pay(qtbot, kiosk)
    # the chip written, the back printed: the screen says so while it happens
    qtbot.waitUntil(lambda: kiosk.shell.progress.get("card_back") == "printing", timeout=30_000)
    assert "正在把签注打印到证件背面，请勿取出证件" in texts(kiosk)
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
    # the permit's back: what the chip holds, drawn apart from the step, is on its strip
    assert kiosk.shell.driver.session.collected["write"].card_back == "verified"
    assert card_printer.erases == card_printer.prints == 1
    assert card_printer.strip("permit") == card_back_of(endorsement)
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


def card_back_of(endorsement) -> bytes:
    """The strip the default pack lays out for `endorsement`, rendered here."""
    from kiosk.citypack import load_pack
    from kiosk.documents.card_back import CardBackText, lines, raster, render
    from kiosk.strings import catalogue

    pack = load_pack()
    text = CardBackText(endorsement.region, endorsement.kind, endorsement.trips,
                        endorsement.valid_until, pack.issuer)  # fmt: skip
    said = lines(text, pack.card_back, catalogue())
    assert said[0] == "签注种类：澳门 个人旅游（G）" and said[2] == "往来次数：二次"
    return raster(render(said, pack.card_back)).data


def test_a_back_not_printed_sends_the_citizen_to_the_counter_not_a_refund(qtbot, terminal):
    """The thermal head fails before the back is printed. The chip holds the
    endorsement (what a border officer reads), so the citizen keeps it and is not
    refunded: the screen says the back is to be printed at the counter, the slip prints,
    the permit comes back; the back keeps what it had, nothing half-printed."""
    kiosk = terminal
    card_printer = terminal.devices.simulators["card_printer"]
    printer = terminal.devices.simulators["receipt_printer"]
    transport = terminal.devices.simulators["card_transport"]
    card_printer.device_fault("head_error")
    endorse_and_pay(qtbot, kiosk)
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "back_not_printed", timeout=60_000)
    assert "证件背面未能打印" in "".join(texts(kiosk))
    assert card_printer.prints == card_printer.erases == 0
    assert card_printer.strip("permit") == card_printer._old_endorsement()
    collected = kiosk.shell.driver.session.collected
    assert collected["write"].written and collected["write"].card_back == "failed"
    tap(kiosk, "button_continue")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "rating", timeout=30_000)
    slip = "\n".join(printer.slips[-1].lines)
    assert "退款" not in slip and "张*" in slip  # the endorsement slip, not a voucher
    assert collected["pay"].state == "paid"
    tap(kiosk, "rate_5")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=30_000)
    assert transport.taken == ["permit"] and not transport.captured
