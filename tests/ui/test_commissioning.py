"""First boot: the real app on simulated devices with no identity file starts on the
commissioning screen, behind the maintenance PIN; a refused code leaves nothing
behind; a good one enrols the terminal with a real reference backend on loopback,
tests every device, prints the commissioning slip, and opens the home screen."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from kiosk.maintenance import hash_pin
from tests.services.backend import LiveBackend
from tests.services.process import free_port
from tests.ui.conftest import QtWarnings
from tests.ui.helpers import find, items, shown, tap, texts

PIN = "482916"


def type_pin(kiosk, pin: str) -> None:
    for digit in pin:
        tap(kiosk, f"key_{digit}")
    tap(kiosk, "button_pin_enter")


def settled(kiosk) -> None:
    """The keyboard came up or went down: the stage settles back first (a press on a
    moving Flickable only stops it, as a finger's would)."""
    kiosk.settle(200)  # laid out anew first (a line under a field, the results)
    stage = find(kiosk, "stage")
    for _ in range(100):
        if not stage.property("moving"):
            return
        kiosk.settle(50)
    raise AssertionError("the stage never settled")


def submit(kiosk, url: str, code: str) -> None:
    """What a technician typed on the on-screen keyboard, then Enrol."""
    find(kiosk, "commission_url").setProperty("text", url)
    find(kiosk, "commission_code").setProperty("text", code)
    settled(kiosk)
    tap(kiosk, "button_commission_submit")


def tiles(kiosk) -> list[str]:
    root = kiosk.window.contentItem()
    return [i.objectName() for i in items(root) if i.objectName().startswith("tile_") and shown(i)]


@pytest.fixture
def first_boot(qapp, tmp_path: Path):
    from kiosk.commissioning import Commissioner, needs_commissioning
    from kiosk.config import load
    from kiosk.maintenance import Door
    from kiosk.simulated import SimulatedDevices
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.commissioning import Commissioning
    from ui.services import shell_factory

    config = load(env={
        "KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db"),
        "KIOSK__BACKEND__IDENTITY_FILE": str(tmp_path / "identity.json"),
        "KIOSK__BACKEND__EMBEDDED": "false",
        "KIOSK__TERMINAL__LOCATION": "东城派出所门口",
    }).config  # fmt: skip
    config.maintenance.pin_hash = hash_pin(PIN, config.crypto.suite)
    assert needs_commissioning(config, simulated=True)
    backend = LiveBackend(tmp_path / "backend", time.time, crypto_suite=config.crypto.suite)
    backend.start()
    devices = SimulatedDevices()
    states = devices.start()
    finished: list[bool] = []

    def commissioning() -> Commissioning:
        steps = Commissioner(config, devices.drivers, list, catalogue())
        return Commissioning(Door(config.maintenance), steps,
                             on_finished=lambda: finished.append(True))  # fmt: skip

    warnings = QtWarnings()
    logging.getLogger("kiosk.ui.qt").addHandler(warnings)
    built = Kiosk(
        shell_factory(catalogue(), device_states=states | {"network": "online"},
                      commissioning=commissioning),
        catalogue(),
        size=(1080, 1920),
    )  # fmt: skip
    built.window.show()
    built.settle(100)
    built.config, built.backend, built.devices, built.finished = config, backend, devices, finished
    try:
        yield built
    finally:
        built.close()
        logging.getLogger("kiosk.ui.qt").removeHandler(warnings)
        devices.stop()
        backend.stop()
    assert warnings.messages == [], warnings.messages  # a Qt warning fails the test


def test_a_first_boot_is_commissioned_on_the_touchscreen(qtbot, first_boot, caplog):
    kiosk = first_boot
    job = kiosk.shell.commissioning
    identity = kiosk.config.backend.identity_file
    assert kiosk.shell.screen == "commissioning" and tiles(kiosk) == []
    kiosk.shell.startService("queue_ticket")  # no citizen service before it is done
    assert kiosk.shell.screen == "commissioning" and not kiosk.shell.inSession
    assert find(kiosk, "button_help")  # the header is there; the footer (Cancel) is not
    assert not [i for i in items(kiosk.window.contentItem())
                if i.objectName() == "button_cancel" and shown(i)]  # fmt: skip

    type_pin(kiosk, "111111")
    assert job.stage == "pin" and job.message == "ui.maintenance.wrong"
    type_pin(kiosk, PIN)
    assert job.stage == "form"

    # an https backend with no CA configured: said under the address, nothing sent
    submit(kiosk, "https://kiosk-backend.example:8470", "ABCD-EFGH-JKLM-NPQR")
    qtbot.waitUntil(lambda: job.stage == "form" and job.message != "", timeout=10_000)
    assert (job.messageField, job.message) == ("url", "ui.commission.error.ca")
    # nobody listening there
    submit(kiosk, f"http://127.0.0.1:{free_port()}", "ABCD-EFGH-JKLM-NPQR")
    qtbot.waitUntil(lambda: job.stage == "form" and job.message != "", timeout=20_000)
    assert (job.messageField, job.message) == ("url", "ui.commission.error.unreachable")
    # a code the backend never gave: refused, said under the code, nothing saved
    with caplog.at_level(logging.INFO):
        submit(kiosk, kiosk.backend.url, "ABCD-EFGH-JKLM-NPQR")
        qtbot.waitUntil(lambda: job.stage == "form" and job.message != "", timeout=20_000)
    assert (job.messageField, job.message) == ("code", "ui.commission.error.refused")
    refusal = find(kiosk, "commission_code_error").property("text")
    assert "登记码" in refusal or "code" in refusal
    assert not identity.exists()

    code = kiosk.backend.code()
    typed = code.replace("-", " ").lower()  # as typed in a hurry: the screen tidies it
    with caplog.at_level(logging.INFO):
        submit(kiosk, kiosk.backend.url, typed)
        qtbot.waitUntil(lambda: job.stage == "done", timeout=90_000)
    from kiosk.sync.identity import Identity

    enrolled = Identity.load(identity)
    assert enrolled.terminal_id == job.terminalId and enrolled.backend_url == kiosk.backend.url
    results = {r["name"]: r["state"] for r in job.results}
    assert set(results) == set(kiosk.devices.drivers) and "" not in results.values()
    assert results["receipt_printer"] == "passed"
    assert job.printed == "printed"
    shown_text = " ".join(texts(kiosk))
    assert enrolled.terminal_id in shown_text and "receipt_printer" in shown_text

    printer = kiosk.devices.simulators["receipt_printer"]
    slip = "\n".join(printer.slips[-1].lines)
    assert enrolled.terminal_id in slip and kiosk.backend.url in slip
    assert "东城派出所门口" in slip and "receipt_printer: 通过" in slip
    for name, state in results.items():
        assert f"{name}: {'通过' if state == 'passed' else '未通过'}" in slip
    assert code not in slip and code.replace("-", "") not in slip.replace("-", "")
    assert "签名" in slip
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert code not in logged and "ABCD-EFGH" not in logged  # the codes are never logged

    settled(kiosk)
    button = find(kiosk, "button_commission_finish")
    top = button.mapToScene(button.boundingRect().topLeft()).y()
    assert find(kiosk, "stage").y() <= top < kiosk.window.height() - button.height()  # in sight
    tap(kiosk, "button_commission_finish")
    assert kiosk.finished == [True]
    assert kiosk.shell.screen == "home" and "tile_queue_ticket" in tiles(kiosk)


def test_with_no_pin_configured_the_screen_says_it_cannot_be_commissioned(qapp, caplog):
    from kiosk.maintenance import Door, MaintenanceSection
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.commissioning import Commissioning
    from ui.services import shell_factory

    class Nothing:  # nothing may run without the PIN
        def __getattr__(self, name: str):
            raise AssertionError(f"{name} called without the PIN")

    with caplog.at_level(logging.ERROR, logger="kiosk.commissioning"):
        made = shell_factory(catalogue(), commissioning=lambda: Commissioning(
            Door(MaintenanceSection()), Nothing()))  # fmt: skip
        kiosk = Kiosk(made, catalogue(), size=(1080, 1920))
    try:
        kiosk.window.show()
        kiosk.settle(100)
        assert kiosk.shell.screen == "commissioning" and tiles(kiosk) == []
        assert "维护口令" in find(kiosk, "commission_no_pin").property("text")
        kiosk.shell.commissioning.enter(PIN)
        kiosk.shell.commissioning.submit("http://127.0.0.1:1", "X")
        assert kiosk.shell.commissioning.stage == "no_pin"
        assert any("cannot be commissioned" in r.getMessage() for r in caplog.records)
    finally:
        kiosk.close()


def test_the_composition_root_wires_the_door_of_the_configuration(qapp, tmp_path):
    """`kiosk run`'s own wiring: the PIN of the configuration (none here: the screen
    says the terminal cannot be commissioned) and the configured devices."""
    from kiosk.app import _commissioning
    from kiosk.config import load
    from kiosk.simulated import SimulatedDevices
    from kiosk.status import terminal_status
    from kiosk.strings import catalogue

    loaded = load(env={"KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db")})
    config = loaded.config
    job = _commissioning(loaded, SimulatedDevices(), terminal_status(config, None), catalogue())
    assert job.stage == ("pin" if config.maintenance.pin_hash else "no_pin")
    assert job.steps.devices() == [d.name for d in terminal_status(config, None).devices
                                   if d.enabled]  # fmt: skip
