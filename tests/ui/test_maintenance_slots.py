"""The technicians' desk on real drivers and simulators, wired as `kiosk run` wires
it (kiosk.app's `_desk`): each device's media in words and units (the UPS on a
private upsd, the card transport on a pty, the A4 scanner on SANE's test backend,
the receipt printer on a pty), refreshed on the drivers' workers; and the storage
slots behind the PIN: a document loaded into a slot, then emptied to the gate, an
occupied and an empty slot said plainly, the retain bin's count back to zero, each
action a device_event queued for the backend with the slot map in one transaction.

`DESK_SHOT=path.png` saves the desk and the slot page as PNGs (to look at)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF

from drivers.card_printer.driver import TrwCardPrinter
from drivers.card_printer.simulator import TrwPrinterSimulator
from drivers.card_transport.driver import CrtCardTransport
from drivers.card_transport.simulator import CrtTransportSimulator, TransportProfile
from drivers.lights.driver import ModbusLights
from drivers.lights.simulator import LightBoardSimulator
from drivers.receipt_printer.driver import EscPosPrinter
from drivers.receipt_printer.simulator import EscPosSimulator
from drivers.scanner_a4.driver import SaneScanner
from drivers.scanner_a4.simulator import SaneScannerSimulator
from drivers.sensors.driver import ModbusSensors
from drivers.sensors.simulator import SensorBoardSimulator
from drivers.ups.driver import NutUps
from drivers.ups.simulator import NutUpsSimulator
from kiosk.maintenance import hash_pin
from kiosk.sync.identity import Identity
from tests.services.devices import driven
from tests.ui.conftest import QtWarnings
from tests.ui.helpers import find, items, shown, tap, texts
from wire import crypto

PIN = "482916"


@pytest.fixture(scope="module")
def ups():
    """One private upsd for the module (it takes two seconds to start)."""
    with driven(NutUpsSimulator(), NutUps) as (sim, driver):
        yield driver, sim


@pytest.fixture
def desk(qapp, tmp_path, ups):
    """The kiosk with the desk `kiosk.app` builds, on four real drivers; the terminal
    is enrolled (an identity on file) but offline: events wait in the outbox."""
    from kiosk.app import _desk
    from kiosk.config import load
    from kiosk.simulated import SimulatedDevices
    from kiosk.status import terminal_status
    from kiosk.strings import catalogue
    from kiosk.sync.terminal import open_link
    from ui.app import Kiosk
    from ui.services import shell_factory

    env = {
        "KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db"),
        "KIOSK__CACHE__KEY_FILE": str(tmp_path / "keys.json"),
        "KIOSK__BACKEND__IDENTITY_FILE": str(tmp_path / "identity.json"),
        "KIOSK__MAINTENANCE__PIN_HASH": hash_pin(PIN, crypto.DEFAULT),
        "KIOSK__LOGGING__DIR": str(tmp_path),
    }
    key = crypto.suite(crypto.DEFAULT).generate_private_key()
    Identity("T0123456789ab", "http://127.0.0.1:9", key).save(tmp_path / "identity.json")
    loaded = load(env=env)
    sims: list[Any] = []
    devices = SimulatedDevices()
    transport_sim = CrtTransportSimulator(
        TransportProfile(slots=["", "", "DOC-3"] + [""] * 5, bin_count=4)
    ).start()
    printer_sim, scanner_sim = EscPosSimulator().start(), SaneScannerSimulator().start()
    sensors_sim, lights_sim = SensorBoardSimulator().start(), LightBoardSimulator().start()
    card_printer_sim = TrwPrinterSimulator().start()
    sims += [transport_sim, printer_sim, scanner_sim, sensors_sim, lights_sim, card_printer_sim]
    devices.drivers = {
        "receipt_printer": EscPosPrinter(port=printer_sim.address),
        "scanner_a4": SaneScanner(port=scanner_sim.address),
        "card_transport": CrtCardTransport(port=transport_sim.address),
        "sensors": ModbusSensors(sensors_sim.address),
        "lights": ModbusLights(lights_sim.address),
        "card_printer": TrwCardPrinter(port=card_printer_sim.address),
    }
    for driver in devices.drivers.values():
        assert driver.open().result().ok
    devices.drivers["ups"] = ups[0]
    link = open_link(loaded.config, lambda: ({}, {}))
    assert link.link is not None  # enrolled: the desk's events are the link's
    status = terminal_status(loaded.config)
    make = shell_factory(catalogue(), maintenance=lambda: _desk(loaded, devices, status, link))
    built = Kiosk(make, catalogue(), size=(1080, 1920))
    built.window.show()
    built.settle(100)
    built.transport, built.ups_sim, built.link = transport_sim, ups[1], link
    built.sensors_sim, built.drivers = sensors_sim, devices.drivers
    warnings = QtWarnings()
    logging.getLogger("kiosk.ui.qt").addHandler(warnings)
    try:
        yield built
    finally:
        built.close()
        logging.getLogger("kiosk.ui.qt").removeHandler(warnings)
        ups[1].faults.inject("power_back")
        for name, driver in devices.drivers.items():
            if name != "ups":  # the module's
                driver.close()
        for sim in sims:
            sim.stop()
        link.stop()
    assert warnings.messages == [], warnings.messages  # a Qt warning fails the test


def enter(kiosk, pin: str = PIN) -> None:
    kiosk.shell.askMaintenance()
    kiosk.settle(50)
    for digit in pin:
        tap(kiosk, f"key_{digit}")
    tap(kiosk, "button_pin_enter")


def in_view(kiosk, name: str) -> None:
    """The stage scrolled so that `name` is on the screen (the desk is long)."""
    stage, item = find(kiosk, "stage"), find(kiosk, name)
    top = item.mapToItem(stage.property("contentItem"), QPointF(0, 0)).y()
    most = max(0.0, stage.property("contentHeight") - stage.height())
    stage.setProperty("contentY", min(most, max(0.0, top - stage.height() / 3)))
    kiosk.settle(50)


def tap_seen(kiosk, name: str) -> None:
    in_view(kiosk, name)
    tap(kiosk, name)


def lines_of(kiosk, device: str) -> list[str]:
    """A device's media lines on the desk, top to bottom."""
    found = [i for i in items(kiosk.window.contentItem())
             if i.objectName() == f"media_{device}" and shown(i)]  # fmt: skip
    found.sort(key=lambda i: i.mapToScene(QPointF(0, 0)).y())
    return [str(i.property("text")) for i in found]


def type_reference(kiosk, ref: str) -> None:
    for digit in ref:
        tap_seen(kiosk, f"key_{digit}")


def message(kiosk) -> str:
    return str(find(kiosk, "slots_message").property("text"))


def queued_events(link) -> list[dict[str, Any]]:
    return [p.record for p in link.link.outbox.due() if p.kind == "device_event"]


def test_the_desk_shows_each_device_media_in_words_and_units(qtbot, desk):
    kiosk = desk
    assert kiosk.shell.maintenance.devices == []  # nothing before the PIN
    enter(kiosk)
    assert kiosk.shell.maintenance.open
    qtbot.waitUntil(lambda: lines_of(kiosk, "ups") != [], timeout=5_000)
    assert lines_of(kiosk, "ups") == [
        "· 供电：市电（在线）", "· 电池：正常", "· 电池电量：100%",
        "· 剩余供电时间：约 20 分钟（1200 秒）",
    ]  # fmt: skip
    assert lines_of(kiosk, "card_transport") == [
        "· 卡位置：机内无卡", "· 回收箱：未满", "· 回收箱内：4 张",
        "· 存储槽：共 8 个，1 个有证件（3 号）", "· 传动机构：正常",
    ]  # fmt: skip
    assert lines_of(kiosk, "scanner_a4") == ["· 扫描盖板：已合上", "· 进纸器：正常"]
    assert "· 凭条纸：正常" in lines_of(kiosk, "receipt_printer")
    kiosk.shell.setLanguage("en")
    kiosk.settle(50)
    assert "· Battery charge: 100 %" in lines_of(kiosk, "ups")
    assert "· Storage slots: 1 of 8 hold a document (no. 3)" in lines_of(kiosk, "card_transport")
    # the mains fail: Refresh asks every driver again, on its worker; the alert colour
    kiosk.ups_sim.faults.inject("power_fail")
    on_battery = "⚠ Power: on battery (mains lost)"
    for _ in range(20):  # upsd hands dummy-ups's news out within about a second
        tap_seen(kiosk, "button_refresh")
        kiosk.settle(500)
        if on_battery in lines_of(kiosk, "ups"):
            break
    assert on_battery in lines_of(kiosk, "ups")
    kiosk.ups_sim.faults.inject("power_back")
    (alert,) = [i for i in items(kiosk.window.contentItem())
                if i.objectName() == "media_ups" and "battery" in str(i.property("text"))
                and "Power" in str(i.property("text"))]  # fmt: skip
    assert alert.property("color").name().upper() == kiosk.shell.style.alert
    _shot(kiosk, "desk")


def test_the_desk_says_the_boards_and_the_card_printer_in_words(qtbot, desk):
    """The sensors, the guide lights and the card printer: words, not `door: open`."""
    kiosk = desk
    kiosk.sensors_sim.open_door()
    assert kiosk.drivers["lights"].show({"id_card": "blink", "buzzer": "on"}).result().ok
    enter(kiosk)
    qtbot.waitUntil(lambda: len(lines_of(kiosk, "card_printer")) == 4, timeout=5_000)
    for _ in range(20):  # the door counts once it held open 0.1 s (the debouncer), polled
        if "⚠ 机柜门：打开" in lines_of(kiosk, "sensors"):
            break
        tap_seen(kiosk, "button_refresh")
        kiosk.settle(200)
    assert lines_of(kiosk, "sensors") == [
        "· 人体感应：机前无人", "⚠ 机柜门：打开", "· 防撬开关：正常",
        "· 控制板重启次数（本次运行）：0",
    ]  # fmt: skip
    lights = lines_of(kiosk, "lights")
    assert "· 身份证阅读器指示灯：闪烁" in lights and "· 蜂鸣器：鸣响" in lights
    assert "· 指纹仪指示灯：熄灭" in lights and len(lights) == 11  # ten outputs, the restarts
    card = lines_of(kiosk, "card_printer")
    assert card[:3] == ["· 可擦写卡：机内无卡", "· 擦写区：空白", "· 打印头：正常"]
    assert card[3].startswith("· 打印头温度：") and card[3].endswith(" °C")
    heading = {n: str(find(kiosk, f"device_{n}").property("text")) for n in kiosk.drivers}
    assert heading["sensors"] == "传感器板（sensors）：正常"
    assert heading["ups"].startswith("不间断电源")
    kiosk.shell.setLanguage("en")
    kiosk.settle(50)
    lights_row = str(find(kiosk, "device_lights").property("text"))
    assert lights_row == "Guide lights board (lights): online"
    assert "· ID card reader light: flashing" in lines_of(kiosk, "lights")
    assert "· Buzzer: sounding" in lines_of(kiosk, "lights")
    assert "⚠ Cabinet door: open" in lines_of(kiosk, "sensors")
    for name in ("sensors", "lights", "card_printer"):  # no placeholder left, no raw word
        raw = {f"· {k}: {v}" for k, v in kiosk.drivers[name].status.media.items()}
        said = lines_of(kiosk, name)
        assert not raw & set(said) and "{" not in "".join(said), (name, said)
    in_view(kiosk, "media_sensors")
    _shot(kiosk, "desk_boards")


def test_a_document_loaded_into_a_slot_then_emptied_to_the_gate(qtbot, desk):
    kiosk, sim = desk, desk.transport
    slots = kiosk.shell.maintenance.slots
    assert slots.slots == [] and not slots.shown  # the PIN first
    slots.show()
    assert not slots.shown
    enter(kiosk)
    tap_seen(kiosk, "button_slots")
    assert slots.shown and [s["held"] for s in slots.slots] == ["no"] * 2 + ["yes"] + ["no"] * 5
    assert str(find(kiosk, "slot_ref_3").property("text")) == "未登记取件号"  # loaded by whom?
    # an occupied slot is refused before any card goes in
    tap_seen(kiosk, "slot_3")
    type_reference(kiosk, "20260042")
    tap_seen(kiosk, "button_slot_load")
    qtbot.waitUntil(lambda: not slots.working, timeout=5_000)
    assert message(kiosk) == "⚠ 3 号槽已有证件，请另选空槽" and sim.position == "none"
    # slot 2: the desk asks for the document, staff put it in at the gate
    tap_seen(kiosk, "slot_2")
    tap_seen(kiosk, "button_slot_load")
    qtbot.waitUntil(lambda: slots.message == "desk.slots.insert", timeout=5_000)
    assert message(kiosk) == "请把证件插入出卡口，将装入 2 号槽…"
    assert sim.insert_card("DOC-A")
    qtbot.waitUntil(lambda: slots.message == "desk.slots.loaded", timeout=5_000)
    assert message(kiosk) == "已装入 2 号槽，取件号 20260042"
    assert sim.profile.slots[1] == "DOC-A" and sim.position == "none"
    assert str(find(kiosk, "slot_ref_2").property("text")) == "20260042"
    assert str(find(kiosk, "slots_reference").property("text")) == "—"  # typed afresh next
    _shot(kiosk, "slots")
    # emptied back to the gate, for staff to take
    tap_seen(kiosk, "button_slot_empty")
    qtbot.waitUntil(lambda: slots.message == "desk.slots.emptied", timeout=5_000)
    assert message(kiosk) == "2 号槽的证件已送到出卡口，请取走"
    assert sim.position == "gate" and sim.take_card() == "DOC-A" and sim.profile.slots[1] == ""
    # emptied again: the unit says it is empty, the desk says so
    tap_seen(kiosk, "button_slot_empty")
    qtbot.waitUntil(lambda: slots.message == "desk.slots.empty", timeout=5_000)
    assert message(kiosk) == "⚠ 2 号槽是空的，没有可取出的证件"
    assert str(find(kiosk, "slot_ref_2").property("text")) == "—"
    # each change went to the outbox as a card_transport device_event, the map with it
    session = kiosk.shell.maintenance.door.session
    events = queued_events(kiosk.link)
    assert [e["changes"]["card_transport"]["to"] for e in events] == [
        "slot_loaded", "slot_emptied"]  # fmt: skip
    assert events[0]["detail"] == f"slot 2 loaded: 20260042 (desk {session})"
    assert json.loads(kiosk.link.link.outbox.notes()["storage_slots"]) == {}
    tap_seen(kiosk, "button_slots_back")
    tap_seen(kiosk, "button_maintenance_leave")
    assert slots.slots == [] and kiosk.shell.maintenance.door.session is None


def test_load_waits_for_the_document_and_stops_when_told(qtbot, desk):
    kiosk, sim = desk, desk.transport
    slots = kiosk.shell.maintenance.slots
    enter(kiosk)
    tap_seen(kiosk, "button_slots")
    tap_seen(kiosk, "slot_5")
    type_reference(kiosk, "12")  # too short for a pickup reference
    tap_seen(kiosk, "button_slot_load")
    assert message(kiosk) == "⚠ 取件号应为 4 至 14 位数字或字母" and not slots.working
    type_reference(kiosk, "3456")
    tap_seen(kiosk, "button_slot_load")
    qtbot.waitUntil(lambda: slots.message == "desk.slots.insert", timeout=5_000)
    tap_seen(kiosk, "button_slot_cancel")
    qtbot.waitUntil(lambda: slots.message == "desk.slots.canceled", timeout=5_000)
    assert not slots.working and sim.profile.slots[4] == "" and not sim.insert_enabled
    assert queued_events(kiosk.link) == []


def test_the_retain_bin_emptied_puts_the_count_back_to_zero(qtbot, desk):
    kiosk, sim = desk, desk.transport
    slots = kiosk.shell.maintenance.slots
    enter(kiosk)
    tap_seen(kiosk, "button_slots")
    assert str(find(kiosk, "slots_bin").property("text")) == "回收箱内：4 张"
    tap_seen(kiosk, "button_bin_emptied")
    qtbot.waitUntil(lambda: slots.message == "desk.slots.bin_emptied", timeout=5_000)
    assert message(kiosk) == "回收箱计数已清零（清空前 4 张）" and sim.profile.bin_count == 0
    assert str(find(kiosk, "slots_bin").property("text")) == "回收箱内：0 张"
    (event,) = queued_events(kiosk.link)
    assert event["changes"]["card_transport"]["to"] == "bin_emptied"
    kept = json.loads(kiosk.link.link.outbox.notes()["retain_bin_emptied"])
    assert kept["count"] == 4 and kept["unit"] and kept["by"].startswith("desk-")


def _shot(kiosk, name: str) -> None:
    target = os.environ.get("DESK_SHOT")
    if target:
        path = Path(target)
        saved = path.with_name(f"{path.stem}-{name}{path.suffix}")
        assert kiosk.window.grabWindow().save(str(saved)), saved
    assert "维护模式" in " ".join(texts(kiosk)) or "Maintenance" in " ".join(texts(kiosk))
