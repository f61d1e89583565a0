"""`kiosk devices list` shows each device's stable name and what is behind it: a
fake /dev/kiosk tree (the `[device_links] dir` setting) of links to simulators' ptys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.suite_env import SUITE

KIOSK = str(Path(sys.executable).parent / "kiosk")
REPO = Path(__file__).resolve().parents[2]


def kiosk(*args: str, config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSK, "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        # PYTHONPATH: this checkout's code, whichever the venv points at
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(REPO), **SUITE, **env},
    )


@pytest.fixture
def booth(tmp_path) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """Two simulators, as udev would name them: the receipt printer by its stable
    name (as configured on a terminal), the scanner configured by its pty instead;
    no link for the rest."""
    from drivers.receipt_printer.simulator import EscPosSimulator
    from drivers.scanner.simulator import ScannerSimulator

    printer, scanner = EscPosSimulator().start(), ScannerSimulator().start()
    links = tmp_path / "dev-kiosk"
    links.mkdir()
    (links / "receipt_printer").symlink_to(printer.pts)
    (links / "scanner").symlink_to(scanner.pts)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[device_links]\ndir = "{links}"\n'
        f'[devices.receipt_printer]\ndriver = "escpos"\nport = "{links / "receipt_printer"}"\n'
        f'[devices.scanner]\ndriver = "serial"\nport = "{scanner.pts}"\n'
    )
    try:
        yield config, links, {"receipt_printer": printer.pts, "scanner": scanner.pts}
    finally:
        printer.stop()
        scanner.stop()


def test_list_shows_each_stable_name_and_the_node_behind_it(booth):
    config, links, pts = booth
    result = kiosk("devices", "list", "--json", config=config)
    assert result.returncode == 0, result.stderr
    rows = {r["device"]: r for r in json.loads(result.stdout)["devices"]}
    assert rows["receipt_printer"] == {
        "device": "receipt_printer",
        "driver": "drivers.receipt_printer.driver:EscPosPrinter",
        "port": str(links / "receipt_printer"),
        "state": "configured",
        "link": str(links / "receipt_printer"),
        "link_exists": True,
        "link_target": os.path.realpath(pts["receipt_printer"]),
        "usb": None,  # a pty: no USB device behind it
    }
    assert rows["scanner"]["port"] == pts["scanner"]
    assert rows["scanner"]["link_exists"] is True
    assert rows["id_card"] == {
        "device": "id_card",
        "driver": None,
        "port": None,
        "state": "not_configured",
        "link": str(links / "id_card"),
        "link_exists": False,
        "link_target": None,
        "usb": None,
    }


def test_list_tells_a_technician_what_is_there_and_what_is_not_used(booth):
    config, links, pts = booth
    result = kiosk("devices", "list", config=config)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    printer = os.path.realpath(pts["receipt_printer"])
    assert f"stable name {links}/receipt_printer → {printer}: not a USB device" in text
    assert f"stable name {links}/id_card: not there\n" in text
    assert f"configured address: {pts['scanner']}" in text
    # the scanner is configured by its pty, not by its stable name: said once
    assert text.count("the configuration does not use") == 1
    assert f"the configuration does not use {links}/scanner" in text
    chinese = kiosk("--lang", "zh_CN", "devices", "list", config=config).stdout
    assert f"固定名称 {links}/id_card：不存在" in chinese


def test_the_setting_can_come_from_the_environment(booth, tmp_path):
    config, _, _ = booth
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = kiosk("devices", "list", "--json", config=config,
                   KIOSK__DEVICE_LINKS__DIR=str(elsewhere))  # fmt: skip
    rows = {r["device"]: r for r in json.loads(result.stdout)["devices"]}
    assert rows["receipt_printer"]["link"] == str(elsewhere / "receipt_printer")
    assert rows["receipt_printer"]["link_exists"] is False


def test_a_bad_setting_is_one_line(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text('[device_links]\nfolder = "/dev/kiosk"\n')
    result = kiosk("devices", "list", config=config)
    assert result.returncode == 2
    assert result.stderr == (
        f"kiosk: {config}: device_links.folder = '/dev/kiosk': unknown key; allowed here: dir\n"
    )
