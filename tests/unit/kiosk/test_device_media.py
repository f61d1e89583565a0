"""Each device class's media on the maintenance desk, in words and units, in Chinese
and English: fed with what the drivers' own decoders make (every ESC/POS status
byte, every UPS flag set, the transport's positions, the scanner's states), so a
word a driver can say and the desk cannot is caught; anything else is `key: value`."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from drivers.card_printer import frames as card_printer
from drivers.card_transport import frames
from drivers.lights import outputs
from drivers.model import DeviceState, Status
from drivers.receipt_printer.escpos import decode_status
from drivers.registry import DEVICE_CLASSES
from drivers.scanner_a4 import driver as scanner_a4
from drivers.sensors import driver as sensors
from drivers.ups.driver import parse_status
from kiosk.device_media import (
    CLASSES,
    GENERIC,
    LIGHT_MODES,
    LIGHTS,
    STATES,
    WORDS,
    DeviceView,
    media_lines,
    message_ids,
    view_of,
)
from kiosk.strings import catalogue

STRINGS = catalogue()


def said(device_class: str, media: dict[str, str], lang: str = "en", **numbers) -> list[str]:
    return [STRINGS.render(line.msg, lang) for line in media_lines(device_class, media, numbers)]


def alerts(device_class: str, media: dict[str, str], **numbers) -> list[str]:
    lines = media_lines(device_class, media, numbers)
    return [STRINGS.render(line.msg, "en") for line in lines if line.alert]


def words_only(device_class: str, media: dict[str, str]) -> None:
    """Every fact of `media` has words of its own: none fell back to `key: value`."""
    generic = [line.msg.params for line in media_lines(device_class, media) if
               line.msg.id == GENERIC]  # fmt: skip
    assert generic == [], (device_class, media)


@pytest.mark.parametrize("lang", ["zh_CN", "en", "ug"])
def test_every_message_the_lines_use_is_in_the_catalogue(lang):
    known = STRINGS.messages[lang]
    missing = sorted(i for i in message_ids() if i not in known or not known[i].text)
    assert missing == []
    assert STRINGS.domain("desk.ups.charge") == "desk"


def test_every_status_the_receipt_printer_decodes_has_words():
    seen = set()
    # DLE EOT 1, 2, 4: every byte of the fixed form 0xx1xx10
    answers = [b for b in range(256) if b & 0b1001_0011 == 0b0001_0010]
    for printer, offline, paper in itertools.product(answers, repeat=3):
        media = decode_status(printer, offline, paper)
        words_only("receipt_printer", media)
        seen.add(tuple(sorted(media.items())))
    assert len(seen) > 10
    media = decode_status(0b0001_0010, 0b0001_0110, 0b0111_0010)
    assert said("receipt_printer", media) == [
        "Receipt paper: out", "Cover: open", "Printer: on line"]  # fmt: skip
    assert alerts("receipt_printer", media) == ["Receipt paper: out", "Cover: open"]
    low = decode_status(0b0001_0010, 0b0001_0010, 0b0001_1110)
    assert said("receipt_printer", low, "zh_CN")[0] == "凭条纸：将尽，请备纸卷"


def test_every_ups_status_has_words_and_the_numbers_have_units():
    flags = ["OL", "OB", "LB", "RB", "BYPASS", "OFF", "FSD", "CHRG", "DISCHRG", "OVER"]
    for n in range(4):
        for chosen in itertools.combinations(flags, n):
            words_only("ups", parse_status(" ".join(chosen)))
    media = parse_status("OB DISCHRG")
    assert said("ups", media, charge=85, runtime_s=1260) == [
        "Power: on battery (mains lost)", "Battery: OK", "Battery charge: 85 %",
        "Runtime left: about 21 min (1260 s)",
    ]  # fmt: skip
    assert said("ups", media, "zh_CN", charge=85, runtime_s=1260)[2:] == [
        "电池电量：85%", "剩余供电时间：约 21 分钟（1260 秒）"]  # fmt: skip
    # the charge is an alert below 30 %, with the low battery and the power failure
    assert alerts("ups", parse_status("OB LB"), charge=12, runtime_s=60) == [
        "Power: on battery (mains lost)", "Battery: low, shutting down soon",
        "Battery charge: 12 %",
    ]  # fmt: skip
    assert said("ups", {"power": "unknown", "battery": "unknown"}, charge=None) == [
        "Power: unknown", "Battery: unknown"]  # fmt: skip


def test_the_card_transport_positions_bin_and_slot_map():
    for card in [*frames.POSITIONS.values(), "jammed", "unknown"]:
        for transport in [*frames.TRANSPORT.values(), "unknown"]:
            words_only("card_transport", {"card": card, "transport": transport})
    media = {"card": "gate", "bin": "full", "bin_count": "30", "slots": "01100001",
             "transport": "stuck_at_gate"}  # fmt: skip
    assert said("card_transport", media) == [
        "Card: at the gate", "Retain bin: full, take the cards out",
        "Retain bin count: 30 cards", "Storage slots: 3 of 8 hold a document (no. 2, 3, 8)",
        "Mechanism: card stuck at the gate",
    ]  # fmt: skip
    assert alerts("card_transport", media) == [
        "Retain bin: full, take the cards out", "Mechanism: card stuck at the gate"]  # fmt: skip
    assert said("card_transport", {"slots": "0000"}, "zh_CN") == ["存储槽：共 4 个，均为空"]
    # what a firmware might say that the desk does not know: shown as it is
    assert said("card_transport", {"slots": "01?", "bin_count": "n/a"}) == [
        "slots: 01?", "bin_count: n/a"]  # fmt: skip


def test_the_a4_scanner_cover_and_feeder():
    for media in [*scanner_a4.MEDIA.values(), scanner_a4.UNKNOWN, scanner_a4.FINE]:
        words_only("scanner_a4", media)
    assert said("scanner_a4", scanner_a4.MEDIA["cover_open"]) == [
        "Scanner lid: open", "Feeder: unknown"]  # fmt: skip
    assert alerts("scanner_a4", scanner_a4.MEDIA["jam"]) == ["Feeder: jammed"]


def test_the_document_printer_and_the_readers():
    media = {"state": "stopped", "paper": "out", "toner": "low", "door": "open"}
    assert said("document_printer", media) == [
        "Print queue: stopped",
        "A4 paper: out",
        "Toner: low, bring a cartridge",
        "Door: open",
    ]
    assert len(alerts("document_printer", media)) == 4
    for device_class in ("id_card", "fingerprint", "smartcard", "camera"):
        for key, values in WORDS[device_class].items():
            for value in values:
                words_only(device_class, {key: value})
    assert said("smartcard", {"card": "mute"}, "zh_CN") == ["证件：芯片无应答（损坏或放反）"]
    assert said("camera", {"image": "black"}) == ["Picture: black (lens covered or light out)"]
    assert said("scanner", {}) == [] and said("card_payment", {}) == []  # no media


def test_the_sensor_board_in_words_its_door_and_tamper_alerts():
    for name, words in sensors.INPUTS.items():  # every word the driver's table can say
        for value in (*words, "unknown"):
            words_only("sensors", {name: value})
    media = {"presence": "present", "door": "open", "tamper": "tampered", "restarts": "2"}
    assert said("sensors", media) == [
        "Presence: someone at the terminal", "Cabinet door: open",
        "Tamper switch: triggered, check the cabinet",
        "Board restarts since the kiosk started: 2",
    ]  # fmt: skip
    assert alerts("sensors", media) == said("sensors", media)[1:]  # a restart is one too
    assert alerts("sensors", {"door": "closed", "tamper": "ok", "restarts": "0"}) == []
    assert said("sensors", {"door": "closed"}, "zh_CN") == ["机柜门：已关闭"]


def test_each_guide_light_and_its_mode_in_the_screens_language():
    assert set(LIGHTS) == set(outputs.OUTPUTS) and set(outputs.MODES) < set(LIGHT_MODES)
    for light in outputs.OUTPUTS:
        for mode in (*outputs.MODES, "unknown"):
            words_only("lights", {light: mode})
    media = {"id_card": "blink", "fingerprint": "off", "buzzer": "on", "restarts": "0"}
    assert said("lights", media) == [
        "ID card reader light: flashing", "Fingerprint pad light: off", "Buzzer: sounding",
        "Board restarts since the kiosk started: 0",
    ]  # fmt: skip
    assert said("lights", media, "zh_CN")[:3] == [
        "身份证阅读器指示灯：闪烁", "指纹仪指示灯：熄灭", "蜂鸣器：鸣响"]  # fmt: skip
    assert alerts("lights", media) == []
    # QML is handed the two parts as messages of their own, to put in its language
    (line,) = media_lines("lights", {"scanner_a4": "on"})
    assert line.for_qml() == {
        "id": "desk.lights.output", "alert": False,
        "values": {"light": {"id": "desk.lights.light.scanner_a4", "values": {}},
                   "mode": {"id": "desk.lights.mode.on", "values": {}}},
    }  # fmt: skip
    assert media_lines("lights", {}) == []


def test_the_card_printer_its_strip_head_and_temperature():
    for card, strip, head in itertools.product(
        {*card_printer.CARD.values(), "unknown"},
        {*card_printer.STRIP.values(), "unknown"},
        {*card_printer.HEAD.values(), "unknown"},
    ):
        words_only("card_printer", {"card": card, "strip": strip, "head": head, "head_c": "41"})
    media = {"card": "present", "strip": "written", "head": "too_hot", "head_c": "87"}
    assert said("card_printer", media) == [
        "Rewritable card: inside", "Card strip: written", "Print head: too hot, cooling down",
        "Print head temperature: 87 °C",
    ]  # fmt: skip
    assert alerts("card_printer", media) == ["Print head: too hot, cooling down"]
    assert said("card_printer", {"head": "error"}, "zh_CN") == ["打印头：故障，需维修"]


def test_a_class_or_a_word_the_desk_does_not_know_is_shown_as_it_is():
    board = {"relay": "open", "fan": "stalled"}  # a class added later
    assert said("io_expander", board) == ["relay: open", "fan: stalled"]
    assert said("io_expander", board, "zh_CN") == ["relay：open", "fan：stalled"]
    assert said("receipt_printer", {"paper": "near_end", "head_temp": "61"}) == [
        "paper: near_end", "head_temp: 61"]  # fmt: skip
    # a word the table lacks, a count that is not one: as they are
    assert said("sensors", {"tamper": "triggered", "restarts": "n/a"}) == [
        "tamper: triggered", "restarts: n/a"]  # fmt: skip
    assert said("lights", {"buzzer": "chirp", "beacon": "on"}) == ["buzzer: chirp", "beacon: on"]
    assert said("card_printer", {"head_c": "-5"}) == ["head_c: -5"]
    # the restarts of a class that is no I/O board are not read as the boards'
    assert said("ups", {"restarts": "3"}) == ["restarts: 3"]


def test_a_running_driver_as_the_desk_lists_it():
    ups = SimpleNamespace(
        device_class="ups",
        charge=64,
        runtime_s=900,
        status=Status(DeviceState.ONLINE, {"power": "mains", "battery": "ok"}),
    )
    row = view_of("ups", ups).for_qml()
    assert row["name"] == "ups" and row["state"] == "online"
    assert [m["id"] for m in row["media"]] == [
        "desk.ups.power.mains",
        "desk.ups.battery.ok",
        "desk.ups.charge",
        "desk.ups.runtime",
    ]
    assert row["media"][3]["values"] == {"minutes": 15, "seconds": 900}
    # a driver of a class added later, without `device_class`: its name stands for it
    pad = SimpleNamespace(status=Status(DeviceState.BUSY, {"pen": "down"}))
    row = view_of("signature_pad", pad).for_qml()
    assert row["state"] == "busy" and row["media"] == [
        {"id": GENERIC, "values": {"key": "pen", "value": "down"}, "alert": False}
    ]


def test_each_rows_heading_names_the_class_and_state_in_words():
    # every class the registry knows and every state a driver reports has words
    assert set(DEVICE_CLASSES) <= set(CLASSES)
    assert {state.value for state in DeviceState} <= set(STATES)
    for device_class in DEVICE_CLASSES:  # in Chinese, no raw word but the configured name
        for state in STATES:
            view = DeviceView(device_class, device_class, state)
            heading = STRINGS.render(view.heading(), "zh_CN")
            assert f"（{device_class}）：" in heading, heading
            words = heading.replace(f"（{device_class}）", "")
            assert device_class not in words and state not in words, heading
    head = DeviceView("printer_2", "receipt_printer", "hardware_error").heading()
    assert STRINGS.render(head, "en") == "Receipt printer (printer_2): hardware fault"
    assert STRINGS.render(head, "zh_CN") == "凭条打印机（printer_2）：故障"
    fraud = DeviceView("sensors", "sensors", "fraud_attempt").heading()
    assert STRINGS.render(fraud, "zh_CN") == "传感器板（sensors）：疑似人为破坏"
    # a class or a state added later: as it is
    later = DeviceView("door_lock", "door_lock", "jammed").heading()
    assert STRINGS.render(later, "en") == "door_lock (door_lock): jammed"
    row = DeviceView("lights", "lights", "online").for_qml()
    assert row["heading"] == {"id": "desk.device", "values": {
        "device": {"id": "desk.class.lights", "values": {}}, "name": "lights",
        "state": {"id": "desk.state.online", "values": {}}}}  # fmt: skip
