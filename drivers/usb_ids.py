"""The USB identities the terminal knows (usb_ids.toml), and the udev rules made
from them: each known model gets a stable name `/dev/kiosk/<device>` that the
`kiosk` group may open, whichever port it was plugged into.

`python -m drivers.usb_ids` prints the rules; packaging/udev/70-kiosk-devices.rules
is that output, and a test keeps the two the same.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

TABLE = Path(__file__).with_name("usb_ids.toml")
LINK_FOLDER = "kiosk"  # under /dev
GROUP = "kiosk"

Subsystem = Literal["tty", "usbmisc", "video4linux", "usb"]

# What udev must match, beyond the USB ids, to name the right node of a device:
# a USB device has many nodes in sysfs (the device, its interfaces, ...).
_NODE_MATCH: dict[str, str] = {
    "tty": 'SUBSYSTEM=="tty"',
    "usbmisc": 'SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*"',
    # a UVC camera makes two nodes; index 0 is the one that captures
    "video4linux": 'SUBSYSTEM=="video4linux", ATTR{index}=="0"',
    "usb": 'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device"',
}


@dataclass(frozen=True)
class UsbModel:
    device: str  # a device name of the design: id_card, receipt_printer, ...
    vendor: str  # 4 hex digits, lower case, as sysfs writes idVendor
    product: str
    name: str
    subsystem: Subsystem
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class UsbBridge:
    """A USB-serial chip: its id names the chip, not the device built on it."""

    vendor: str
    product: str
    name: str


@dataclass(frozen=True)
class UsbTable:
    models: tuple[UsbModel, ...]
    bridges: tuple[UsbBridge, ...]

    def known(self, vendor: str, product: str) -> UsbModel | UsbBridge | None:
        """The model or bridge with this id, if the table has it."""
        entries: list[UsbModel | UsbBridge] = [*self.models, *self.bridges]
        for entry in entries:
            if (entry.vendor, entry.product) == (vendor.lower(), product.lower()):
                return entry
        return None


def load_table(path: Path = TABLE) -> UsbTable:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return UsbTable(
        models=tuple(UsbModel(**entry) for entry in data.get("model", [])),
        bridges=tuple(UsbBridge(**entry) for entry in data.get("bridge", [])),
    )


def rule(model: UsbModel) -> str:
    """One udev rule: this model's node gets its stable name and the kiosk group."""
    named = _NAMED.format(folder=LINK_FOLDER, device=model.device, group=GROUP)
    return (
        f'{_NODE_MATCH[model.subsystem]}, ATTRS{{idVendor}}=="{model.vendor}", '
        f'ATTRS{{idProduct}}=="{model.product}", {named}'
    )


_HEADER = """\
# Stable names for the kiosk's devices: /dev/kiosk/<device>, owned by the group
# kiosk (mode 0660), whichever USB port a device is plugged into.
#
# MADE FROM drivers/usb_ids.toml by `python -m drivers.usb_ids`: change the table,
# not this file (a test compares the two). A site's own lines go in a file of its
# own, e.g. /etc/udev/rules.d/71-kiosk-site.rules, which this package never
# overwrites; then `udevadm control --reload && udevadm trigger`.

ACTION=="remove", GOTO="kiosk_devices_end"
"""

_SITE_LINES = """\
# Devices built on a USB-serial bridge (the ID card reader, the fingerprint pad,
# the card terminal, often the scanner) cannot be told apart by their USB ids:
# every such chip of a make has the same ones. A site names each by the serial
# number of its own unit, as `udevadm info -a -n /dev/ttyUSB0` shows it
# (ATTRS{serial}); a chip without one (most CH340s) is named by its USB port
# instead (ATTRS{devpath}, or KERNELS=="1-1.2"), which holds while nobody moves
# the cable. For example:
#
# {by_serial}
# {by_port}
#
# The bridges the table knows:
"""
_NAMED = 'SYMLINK+="{folder}/{device}", GROUP="{group}", MODE="0660"'


def rules_text(table: UsbTable | None = None) -> str:
    """The whole rules file."""
    table = table or load_table()
    lines = [_HEADER]
    for model in table.models:
        trust = "" if model.verified else " (id unverified)"
        lines.append(f"# {model.device}: {model.name}{trust}")
        if model.note:
            lines.append(f"#   {model.note}")
        lines.append(rule(model))
        lines.append("")

    def named(device: str) -> str:
        return _NAMED.format(folder=LINK_FOLDER, device=device, group=GROUP)

    by_serial = (
        'SUBSYSTEM=="tty", ATTRS{idVendor}=="10c4", ATTRS{idProduct}=="ea60", '
        f'ATTRS{{serial}}=="0001", {named("id_card")}'
    )
    by_port = f'SUBSYSTEM=="tty", KERNELS=="1-1.3", {named("fingerprint")}'
    site = _SITE_LINES.replace("{by_serial}", by_serial).replace("{by_port}", by_port)
    lines.append(site.rstrip("\n"))
    lines.extend(f"#   {b.vendor}:{b.product} {b.name}" for b in table.bridges)
    lines.append("")
    lines.append('LABEL="kiosk_devices_end"')
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(rules_text(), end="")
