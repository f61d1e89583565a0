"""What is behind a device's stable name (`/dev/kiosk/<device>`, made by the udev
rules of packaging/udev): whether the link is there, the node it points to, and
the USB device that node belongs to, read from sysfs.

For a technician's `kiosk devices list`: "the ID card reader's link is there, it is
a CP210x with serial 0001 on ttyUSB1" settles most cabling questions at once.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from drivers.usb_ids import UsbTable, load_table

DEFAULT_FOLDER = Path("/dev/kiosk")
SYSFS = Path("/sys")


@dataclass(frozen=True)
class UsbIdentity:
    vendor: str  # idVendor, 4 hex digits
    product: str  # idProduct
    serial: str | None  # the unit's own serial number, when it has one
    maker: str | None  # the device's own words (iManufacturer, iProduct)
    model: str | None
    known_as: str | None  # the name usb_ids.toml gives this id, if it has it


@dataclass(frozen=True)
class StableName:
    device: str
    link: Path
    exists: bool
    target: str | None  # the node the link points to now
    usb: UsbIdentity | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "link": str(self.link),
            "link_exists": self.exists,
            "link_target": self.target,
            "usb": asdict(self.usb) if self.usb is not None else None,
        }


def look(
    device: str,
    folder: Path = DEFAULT_FOLDER,
    sysfs: Path = SYSFS,
    table: UsbTable | None = None,
) -> StableName:
    """The stable name of `device` under `folder`, and what is behind it now."""
    link = folder / device
    if not link.exists():  # no link, or a link to a node that is gone
        return StableName(device, link, False, None, None)
    target = os.path.realpath(link)
    return StableName(device, link, True, target, usb_identity(target, sysfs, table))


def usb_identity(
    node: str, sysfs: Path = SYSFS, table: UsbTable | None = None
) -> UsbIdentity | None:
    """The USB device a device node belongs to, or None (a pty, a built-in port)."""
    try:
        mode = os.stat(node)
    except OSError:
        return None
    if stat.S_ISCHR(mode.st_mode):
        kind = "char"
    elif stat.S_ISBLK(mode.st_mode):
        kind = "block"
    else:
        return None
    # /sys/dev/char/MAJOR:MINOR links to the node's device; its USB device is the
    # nearest folder above that has an idVendor (the interface's parent)
    entry = sysfs / "dev" / kind / f"{os.major(mode.st_rdev)}:{os.minor(mode.st_rdev)}"
    try:
        folder = entry.resolve(strict=True)
    except OSError:
        return None
    for candidate in (folder, *folder.parents):
        if candidate == sysfs or candidate == candidate.parent:
            return None
        if (candidate / "idVendor").is_file():
            return _read_identity(candidate, table or load_table())
    return None


def _read_identity(folder: Path, table: UsbTable) -> UsbIdentity:
    vendor, product = _attr(folder, "idVendor") or "", _attr(folder, "idProduct") or ""
    known = table.known(vendor, product)
    return UsbIdentity(
        vendor=vendor,
        product=product,
        serial=_attr(folder, "serial"),
        maker=_attr(folder, "manufacturer"),
        model=_attr(folder, "product"),
        known_as=known.name if known is not None else None,
    )


def _attr(folder: Path, name: str) -> str | None:
    try:
        return (folder / name).read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None
