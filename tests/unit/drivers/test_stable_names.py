"""What is behind a device's stable name: the link, its node, the USB device in sysfs
(a fake sysfs tree, as the kernel lays it out, around a real pty)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.stable_names import look, usb_identity


@pytest.fixture
def pty() -> Iterator[str]:
    leader, follower = os.openpty()
    yield os.ttyname(follower)
    os.close(leader)
    os.close(follower)


def fake_sysfs(root: Path, node: str, **usb: str) -> Path:
    """/sys/dev/char/M:m -> the tty's folder, under a USB interface, under its device."""
    rdev = os.stat(node).st_rdev
    device = root / "devices" / "pci0000:00" / "0000:00:14.0" / "usb1" / "1-2"
    tty = device / "1-2:1.0" / "ttyUSB0" / "tty" / "ttyUSB0"
    tty.mkdir(parents=True)
    for name, value in usb.items():
        (device / name).write_text(value + "\n")
    (root / "dev" / "char").mkdir(parents=True)
    entry = root / "dev" / "char" / f"{os.major(rdev)}:{os.minor(rdev)}"
    entry.symlink_to(os.path.relpath(tty, entry.parent))
    return root


def test_a_link_to_a_usb_serial_port_shows_the_unit_behind_it(tmp_path, pty):
    sysfs = fake_sysfs(tmp_path / "sys", pty, idVendor="10c4", idProduct="ea60", serial="0001",
                       manufacturer="Silicon Labs", product="CP2102 USB to UART")  # fmt: skip
    links = tmp_path / "kiosk"
    links.mkdir()
    (links / "id_card").symlink_to(pty)
    found = look("id_card", links, sysfs)
    assert found.as_dict() == {
        "link": str(links / "id_card"),
        "link_exists": True,
        "link_target": os.path.realpath(pty),
        "usb": {
            "vendor": "10c4",
            "product": "ea60",
            "serial": "0001",
            "maker": "Silicon Labs",
            "model": "CP2102 USB to UART",
            "known_as": "Silicon Labs CP210x USB-serial bridge",
        },
    }


def test_an_unknown_usb_device_without_a_serial_number(tmp_path, pty):
    sysfs = fake_sysfs(tmp_path / "sys", pty, idVendor="abcd", idProduct="0001")
    usb = usb_identity(pty, sysfs)
    assert usb is not None
    assert (usb.vendor, usb.serial, usb.known_as, usb.model) == ("abcd", None, None, None)


def test_a_pty_is_not_usb(pty):
    assert usb_identity(pty) is None  # the real /sys: a pty has no USB parent


def test_no_link_or_a_link_to_a_node_that_is_gone(tmp_path):
    assert look("scanner", tmp_path).as_dict() == {
        "link": str(tmp_path / "scanner"),
        "link_exists": False,
        "link_target": None,
        "usb": None,
    }
    (tmp_path / "scanner").symlink_to(tmp_path / "ttyACM9")
    assert not look("scanner", tmp_path).exists


def test_a_plain_file_is_no_device(tmp_path):
    (tmp_path / "camera").write_text("")
    assert look("camera", tmp_path).usb is None
