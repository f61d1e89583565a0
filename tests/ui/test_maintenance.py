"""The technicians' door: a hidden gesture on the home screen, the PIN (hashed in the
configuration), a lockout after wrong tries, every attempt audited, never during a
citizen's session."""

from __future__ import annotations

import hashlib
import logging

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from kiosk.maintenance import Door, MaintenanceSection, hash_pin
from tests.ui.helpers import find, tap, texts
from wire import crypto

PIN = "482916"


@pytest.fixture
def desk_kiosk(qapp, tmp_path):
    import time

    import numpy as np

    from flows.demo import DemoServices
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.maintenance import MaintenanceDesk
    from ui.services import shell_factory

    def camera_frames(timeout: float):
        time.sleep(1 / 30)
        return np.full((90, 160, 3), 128, np.uint8)

    log = tmp_path / "kiosk.jsonl"
    record = '{"ts": "2026-01-01T09:00:00.000Z", "level": "INFO", "logger": "x", '
    log.write_text(record + '"msg": "kiosk starting"}\n')
    tested = []

    def desk() -> MaintenanceDesk:
        section = MaintenanceSection(
            pin_hash=hash_pin(PIN, crypto.DEFAULT), max_failures=3, lockout_s=60
        )
        return MaintenanceDesk(
            Door(section),
            devices=lambda: [{"name": "receipt_printer", "state": "online"}],
            self_test=lambda name: tested.append(name) or "success",
            log_file=log,
            config_lines=lambda: ["terminal.id = dev-terminal"],
            camera=lambda: camera_frames,
        )

    built = Kiosk(shell_factory(catalogue(), maintenance=desk), catalogue(), size=(1080, 1920))
    built.shell.step_services = DemoServices(speed=20.0)
    built.window.show()
    built.settle(100)
    built.tested = tested
    try:
        yield built
    finally:
        built.close()


def hold(kiosk, name: str, ms: int) -> None:
    item = find(kiosk, name)
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
    point = QPoint(int(centre.x()), int(centre.y()))
    QTest.mousePress(kiosk.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    kiosk.settle(ms)
    QTest.mouseRelease(
        kiosk.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
    )
    kiosk.settle(50)


def type_pin(kiosk, pin: str) -> None:
    for digit in pin:
        tap(kiosk, f"key_{digit}")
    tap(kiosk, "button_pin_enter")


def test_gesture_pin_desk_and_audit(desk_kiosk, caplog):
    kiosk = desk_kiosk
    hold(kiosk, "maintenance_gesture", 500)  # a short touch: nothing
    assert kiosk.shell.screen == "home"
    hold(kiosk, "maintenance_gesture", 3300)
    assert kiosk.shell.screen == "maintenance"
    with caplog.at_level(logging.WARNING, logger="kiosk.audit"):
        type_pin(kiosk, "111111")
        assert "Wrong PIN" in " ".join(texts(kiosk)) or "口令错误" in " ".join(texts(kiosk))
        type_pin(kiosk, PIN)
    assert kiosk.shell.maintenance.open
    shown = " ".join(texts(kiosk))
    assert (
        "receipt_printer: online" in shown and "kiosk starting" in shown and "dev-terminal" in shown
    )
    tap(kiosk, "selftest_receipt_printer")
    assert kiosk.tested == ["receipt_printer"]
    tap(kiosk, "button_camera_view")
    kiosk.settle(300)
    assert kiosk.shell.maintenance.cameraFrame > 0 and kiosk.camera_images.served > 0
    tap(kiosk, "button_camera_view")
    assert kiosk.shell.maintenance.cameraFrame == -1
    tap(kiosk, "button_maintenance_leave")
    assert kiosk.shell.screen == "home"
    audited = [r.getMessage() for r in caplog.records if r.name == "kiosk.audit"]
    assert audited == ["maintenance entry refused", "maintenance entered", "maintenance left"]
    assert all(
        PIN not in r.getMessage() and "111111" not in str(r.__dict__) for r in caplog.records
    )


def test_wrong_pins_lock_the_door(desk_kiosk):
    kiosk = desk_kiosk
    hold(kiosk, "maintenance_gesture", 3300)
    for _ in range(3):
        type_pin(kiosk, "000000")
    assert kiosk.shell.maintenance.message == "ui.maintenance.locked"
    type_pin(kiosk, PIN)  # the right PIN, but the door is shut for a while
    assert not kiosk.shell.maintenance.open


def test_no_door_during_a_session(desk_kiosk):
    kiosk = desk_kiosk
    tap(kiosk, "tile_queue_ticket")
    kiosk.settle(100)
    kiosk.shell.askMaintenance()
    assert kiosk.shell.screen != "maintenance" and not kiosk.shell.maintenance.asking


def test_a_pin_is_stored_only_as_a_salted_hash():
    first, second = hash_pin(PIN, crypto.DEFAULT), hash_pin(PIN, crypto.DEFAULT)
    assert first != second and PIN not in first
    door = Door(MaintenanceSection(pin_hash=first))
    assert door.try_pin(PIN) == "open" and door.try_pin("482917") == "wrong"
    assert Door(MaintenanceSection()).try_pin(PIN) == "no_pin"
    with pytest.raises(ValueError):
        hash_pin("12", crypto.DEFAULT)


@pytest.mark.parametrize("suite", crypto.NAMES)
def test_a_pin_hashed_in_either_suite_opens_the_door_and_so_does_one_from_before(suite):
    kept = hash_pin(PIN, suite)
    assert kept.startswith({"gm": "pbkdf2-sm3$", "intl": "scrypt$"}[suite])
    assert Door(MaintenanceSection(pin_hash=kept)).try_pin(PIN) == "open"
    # as `kiosk maintenance pin` wrote it before the suites: scrypt with hex
    salt = bytes(range(16))
    before = hashlib.scrypt(PIN.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    old = f"scrypt$16384$8$1${salt.hex()}${before.hex()}"
    door = Door(MaintenanceSection(pin_hash=old))
    assert door.try_pin(PIN) == "open" and door.try_pin("000000") == "wrong"
