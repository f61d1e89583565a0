"""Each device's media and supplies as a technician reads them on the maintenance
desk: one line a fact, in words and units ("Paper: low, bring a roll", "Battery
charge: 85 %", "Retain bin: 3 cards"), never the driver's raw words alone.

Qt-free: a line is a `Msg` (a message id and its values, rendered in the screen's
language by QML's `qsTrId` or by `Catalogue.render`). The words each device class
says are in `WORDS`, one message id `desk.<class>.<key>.<value>` each; a key or a
value not in the table (a device class added later, a firmware's new word) is shown
as it is, `key: value`, so nothing a driver reports is hidden or breaks the desk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drivers.lights.outputs import MODES, OUTPUTS
from drivers.model import DeviceState
from drivers.registry import DEVICE_CLASSES
from kiosk.strings import Msg

GENERIC = "desk.media.other"  # "{key}: {value}"

# The words of each device class's media, as its driver's query_status sets them.
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "id_card": {"card": ("present", "absent", "unknown")},
    "fingerprint": {"finger": ("present", "absent")},
    "smartcard": {"card": ("present", "absent", "mute", "unknown")},
    "camera": {"image": ("ok", "black", "none")},
    "receipt_printer": {
        "paper": ("ok", "low", "out", "unknown"),
        "cover": ("closed", "open"),
        "online": ("yes", "no"),
        "error": ("yes",),
    },
    "document_printer": {
        "state": ("idle", "processing", "stopped"),
        "paper": ("ok", "out"),
        "toner": ("ok", "low"),
        "door": ("closed", "open"),
    },
    "scanner_a4": {
        "cover": ("closed", "open", "unknown"),
        "feeder": ("ok", "empty", "jammed", "unknown"),
    },
    "ups": {
        "power": ("mains", "battery", "bypass", "off", "unknown"),
        "battery": ("ok", "low", "replace", "unknown"),
    },
    "card_transport": {
        "card": ("none", "gate", "inside", "rw_position", "jammed", "unknown"),
        "bin": ("ok", "full", "unknown"),
        "transport": ("ok", "jammed", "stuck_at_gate", "unknown"),
    },
    "signature_pad": {"sampling": ("on", "off", "unknown")},
    "sensors": {
        "presence": ("present", "absent", "unknown"),
        "door": ("closed", "open", "unknown"),
        "tamper": ("ok", "tampered", "unknown"),
    },
    "card_printer": {
        "card": ("none", "present", "unknown"),
        "strip": ("none", "written", "erased", "unknown"),
        "head": ("ok", "too_hot", "error", "unknown"),
    },
}

# The guide lights: one line an output, "<which light>: <mode>", the two parts
# messages of their own (10 outputs x 4 modes would be 40 sentences to translate).
LIGHTS = tuple(OUTPUTS)
LIGHT_MODES = (*MODES, "unknown")

# Each device row's heading: the class in words, the configured name (what the
# config and the logs call it), its state in words (drivers.model.DeviceState).
CLASSES = tuple(DEVICE_CLASSES)
# (and "configured": a device the config names with no driver running in this process)
STATES = (*(state.value for state in DeviceState), "configured")

# What a technician must act on: drawn in the alert colour.
# fmt: off
ALERTS: dict[str, dict[str, tuple[str, ...]]] = {
    "camera": {"image": ("black", "none")},
    "receipt_printer": {"paper": ("low", "out"), "cover": ("open",), "online": ("no",),
                        "error": ("yes",)},
    "document_printer": {"state": ("stopped",), "paper": ("out",), "toner": ("low",),
                         "door": ("open",)},
    "scanner_a4": {"cover": ("open",), "feeder": ("jammed",)},
    "smartcard": {"card": ("mute",)},
    "ups": {"power": ("battery", "bypass", "off"), "battery": ("low", "replace")},
    "card_transport": {"card": ("jammed",), "bin": ("full",),
                       "transport": ("jammed", "stuck_at_gate")},
    "sensors": {"door": ("open",), "tamper": ("tampered",)},
    "card_printer": {"head": ("too_hot", "error")},
}
# fmt: on

# Numbers a driver keeps beside its media (they change too often to be a status
# change event): read from the driver's attributes of these names.
NUMBERS: dict[str, tuple[str, ...]] = {"ups": ("charge", "runtime_s")}
LOW_CHARGE = 30  # %: below it the charge is shown as an alert


@dataclass(frozen=True)
class MediaLine:
    """One fact: what to say (a message and its values) and whether to act on it."""

    msg: Msg
    alert: bool = False

    def for_qml(self) -> dict[str, Any]:
        return {**_qml_message(self.msg), "alert": self.alert}


def _qml_message(msg: Msg) -> dict[str, Any]:
    """A message as QML fills it (Screens.fill): a value that is a message itself
    goes as its id and values, translated there in the screen's language."""
    values = {k: _qml_message(v) if isinstance(v, Msg) else v for k, v in msg.params.items()}
    return {"id": msg.id, "values": values}


@dataclass(frozen=True)
class DeviceView:
    """A device as the desk lists it: its name, state and media lines."""

    name: str
    device_class: str
    state: str
    lines: list[MediaLine] = field(default_factory=list)

    def heading(self) -> Msg:
        """The row's heading, `ID card reader (id_card): online` in the screen's
        language; a class or a state the desk does not know is shown as it is."""
        known = self.device_class in CLASSES
        device = Msg(f"desk.class.{self.device_class}") if known else self.name
        state = Msg(f"desk.state.{self.state}") if self.state in STATES else self.state
        return Msg("desk.device", {"device": device, "name": self.name, "state": state})

    def for_qml(self) -> dict[str, Any]:
        return {"name": self.name, "state": self.state, "heading": _qml_message(self.heading()),
                "media": [line.for_qml() for line in self.lines]}  # fmt: skip


def media_lines(
    device_class: str, media: Mapping[str, str], numbers: Mapping[str, Any] | None = None
) -> list[MediaLine]:
    """The lines for one device's media (and the numbers its driver keeps)."""
    if device_class == "card_transport":
        return _card_transport(media)
    lines = [_fact(device_class, key, str(value)) for key, value in media.items()]
    if device_class == "ups":
        lines += _ups_numbers(numbers or {})
    return lines


def view_of(name: str, driver: Any) -> DeviceView:
    """A running driver's last known status, as the desk lists it."""
    device_class = str(getattr(driver, "device_class", name))
    status = driver.status
    numbers = {k: getattr(driver, k, None) for k in NUMBERS.get(device_class, ())}
    media = {str(k): str(v) for k, v in dict(status.media).items()}
    return DeviceView(name, device_class, status.device.value,
                      media_lines(device_class, media, numbers))  # fmt: skip


def _word(device_class: str, key: str, value: str) -> MediaLine:
    if value in WORDS.get(device_class, {}).get(key, ()):
        alert = value in ALERTS.get(device_class, {}).get(key, ())
        return MediaLine(Msg(f"desk.{device_class}.{key}.{value}"), alert)
    return MediaLine(Msg(GENERIC, {"key": key, "value": value}))


def _fact(device_class: str, key: str, value: str) -> MediaLine:
    # an I/O board counts its restarts (drivers/io_board/board.py): each one put its
    # outputs off until the driver wrote them again, a sign of a failing supply
    if key == "restarts" and value.isdigit() and device_class in ("sensors", "lights"):
        return MediaLine(Msg("desk.board.restarts", {"count": int(value)}), int(value) > 0)
    if device_class == "lights" and key in LIGHTS and value in LIGHT_MODES:
        words = "sound" if key == "buzzer" else "mode"  # a buzzer sounds, it is not lit
        light, mode = Msg(f"desk.lights.light.{key}"), Msg(f"desk.lights.{words}.{value}")
        return MediaLine(Msg("desk.lights.output", {"light": light, "mode": mode}))
    if device_class == "card_printer" and key == "head_c" and value.isdigit():
        return MediaLine(Msg("desk.card_printer.head_c", {"celsius": int(value)}))
    return _word(device_class, key, value)


def _ups_numbers(numbers: Mapping[str, Any]) -> list[MediaLine]:
    lines = []
    charge, runtime = numbers.get("charge"), numbers.get("runtime_s")
    if isinstance(charge, int):
        lines.append(MediaLine(Msg("desk.ups.charge", {"percent": charge}), charge < LOW_CHARGE))
    if isinstance(runtime, int):
        # minutes for the reading, seconds as NUT gives them for the comparing
        minutes = runtime // 60
        lines.append(MediaLine(Msg("desk.ups.runtime", {"minutes": minutes, "seconds": runtime})))
    return lines


def occupied_slots(slot_map: str) -> list[int] | None:
    """The numbers (from 1) of the slots the unit says hold a document; None when the
    map is not one `0`/`1` a slot."""
    if not slot_map or set(slot_map) - {"0", "1"}:
        return None
    return [number for number, held in enumerate(slot_map, start=1) if held == "1"]


def _card_transport(media: Mapping[str, str]) -> list[MediaLine]:
    lines = []
    for key, value in media.items():
        if key == "bin_count" and value.isdigit():
            lines.append(MediaLine(Msg("desk.card_transport.bin_count", {"count": int(value)})))
        elif key == "slots" and occupied_slots(value) is not None:
            held = occupied_slots(value) or []
            if held:
                numbers = ", ".join(str(n) for n in held)
                msg = Msg("desk.card_transport.slots",
                          {"held": len(held), "total": len(value), "numbers": numbers})  # fmt: skip
            else:
                msg = Msg("desk.card_transport.slots_empty", {"total": len(value)})
            lines.append(MediaLine(msg))
        else:
            lines.append(_word("card_transport", key, value))
    return lines


def message_ids() -> set[str]:
    """Every message id the lines can use (the catalogue must hold each)."""
    ids = {GENERIC, "desk.ups.charge", "desk.ups.runtime", "desk.card_transport.bin_count",
           "desk.card_transport.slots", "desk.card_transport.slots_empty",
           "desk.board.restarts", "desk.lights.output", "desk.card_printer.head_c"}  # fmt: skip
    ids |= {"desk.device"} | {f"desk.class.{c}" for c in CLASSES}
    ids |= {f"desk.state.{state}" for state in STATES}
    ids |= {f"desk.lights.light.{light}" for light in LIGHTS}
    ids |= {f"desk.lights.{words}.{mode}" for words in ("mode", "sound") for mode in LIGHT_MODES}
    for device_class, keys in WORDS.items():
        for key, values in keys.items():
            ids |= {f"desk.{device_class}.{key}.{value}" for value in values}
    return ids
