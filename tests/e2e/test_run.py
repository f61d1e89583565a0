"""`kiosk run` as a user starts it: off screen, on an X display, and with no display."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.services.process import free_port
from tests.suite_env import SUITE

KIOSK = str(Path(sys.executable).parent / "kiosk")
REPO = Path(__file__).resolve().parents[2]


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        **SUITE,
        "HOME": str(tmp_path),
        "KIOSK__LOGGING__DIR": str(tmp_path / "log"),
        **extra,
    }


# What Qt says when the greeting is spoken on a machine with no sound card (CI's): a
# booth has one, and there the lines are worth a technician's look, so they stay warnings
NO_SOUND_CARD = (
    "Using Qt multimedia with FFmpeg",
    "PulseAudioService: pa_context_connect() failed",
    "No audio device detected",
)


def qt_warnings(log_dir: Path) -> list[str]:
    records = [json.loads(x) for x in (log_dir / "kiosk.jsonl").read_text().splitlines()]
    return [
        r["msg"]
        for r in records
        if r["logger"].startswith("kiosk.ui") and not r["msg"].startswith(NO_SOUND_CARD)
    ]


@pytest.mark.parametrize(
    ("orientation", "size"), [("portrait", (1080, 1920)), ("landscape", (1920, 1080))]
)
def test_screenshot_of_the_first_screen_in_each_orientation(tmp_path, orientation, size):
    """Not enrolled and no embedded backend: the first screen is the commissioning one."""
    png = tmp_path / "status.png"
    result = subprocess.run(
        [KIOSK, "run", "--screenshot", str(png)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env_for(tmp_path, KIOSK__SCREEN__ORIENTATION=orientation),
    )
    assert result.returncode == 0, result.stderr
    assert f"screenshot saved: {png}" in result.stdout
    image = QImage(str(png))
    assert (image.width(), image.height()) == size
    # Not a blank frame: the text (white) stands on the background (blue).
    colours = {image.pixel(x, y) for x in range(0, size[0], 7) for y in range(0, 700, 7)}
    assert len(colours) > 10
    assert qt_warnings(tmp_path / "log") == [], qt_warnings(tmp_path / "log")


def test_runs_on_an_x_display(tmp_path, xvfb_display):
    process = subprocess.Popen(
        [KIOSK, "run", "--quit-after", "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path, DISPLAY=xvfb_display),
    )
    try:
        assert _window_appears(xvfb_display, "自助服务终端", timeout=30)
    finally:
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "virtual display" not in out  # it had a display, so it made none
    assert qt_warnings(tmp_path / "log") == [], qt_warnings(tmp_path / "log")


@pytest.mark.service
def test_without_a_display_it_runs_on_xvfb_shared_on_localhost_only(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [KIOSK, "run", "--quit-after", "8"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path, KIOSK__SCREEN__VNC_PORT=str(port)),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(
            r"virtual display (:\d+), shared over VNC on 127\.0\.0\.1:(\d+) only", line
        )
        assert found, line
        display, vnc_port = found.group(1), int(found.group(2))
        assert vnc_port >= port
        assert f"localhost:{vnc_port}" in process.stdout.readline()
        listening = subprocess.run(
            ["ss", "-Hltn", f"sport = :{vnc_port}"], capture_output=True, text=True
        ).stdout.split()
        addresses = {w.rsplit(":", 1)[0] for w in listening if w.endswith(f":{vnc_port}")}
        assert addresses and addresses <= {"127.0.0.1", "[::1]"}, listening
        assert _window_appears(display, "自助服务终端", timeout=30)
    finally:
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    # Xvfb and x11vnc are gone with the kiosk.
    assert (
        subprocess.run(
            ["ss", "-Hltn", f"sport = :{vnc_port}"], capture_output=True, text=True
        ).stdout.strip()
        == ""
    )


def _window_appears(display: str, title: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree = subprocess.run(
            ["xwininfo", "-root", "-tree", "-display", display], capture_output=True, text=True
        ).stdout
        if title in tree:
            return True
        time.sleep(0.2)
    return False


def test_run_on_simulated_devices(tmp_path, pcscd_service):
    png = tmp_path / "status.png"
    result = subprocess.run(
        [KIOSK, "run", "--sim", "--screenshot", str(png)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_for(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(x) for x in (tmp_path / "log" / "kiosk.jsonl").read_text().splitlines()]
    simulated = {r["device"]: r["state"] for r in records if r["msg"] == "simulated device"}
    assert simulated == dict.fromkeys(
        [
            "id_card",
            "fingerprint",
            "receipt_printer",
            "scanner",
            "card_payment",
            "smartcard",
            "camera",
            "document_printer",
            "ups",
            "card_transport",
            "scanner_a4",
            "card_printer",
            "sensors",
            "lights",
            "signature_pad",
        ],
        "online",
    )
    assert qt_warnings(tmp_path / "log") == [], qt_warnings(tmp_path / "log")


def test_systemd_hears_ready_pings_and_stopping(tmp_path, xvfb_display, pcscd_service):
    """As under kiosk.service (Type=notify, WatchdogSec): a datagram socket stands in
    for systemd; WATCHDOG_PID names another process, as cage's pid does there."""
    import socket

    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(path)
        process = subprocess.Popen(
            [KIOSK, "run", "--sim", "--quit-after", "4"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(
                tmp_path,
                DISPLAY=xvfb_display,
                NOTIFY_SOCKET=path,
                WATCHDOG_USEC="1000000",
                WATCHDOG_PID="1",
                PYTHONPATH=str(REPO),  # this checkout's code, whichever the venv points at
            ),
        )
        heard: list[str] = []
        deadline = time.monotonic() + 90
        try:
            while not any("STOPPING=1" in m.split("\n") for m in heard):
                systemd.settimeout(max(0.1, deadline - time.monotonic()))
                heard.append(systemd.recv(4096).decode())  # TimeoutError: never stopped
        finally:
            if time.monotonic() > deadline:
                process.kill()
            _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    lines = [line for message in heard for line in message.split("\n")]
    assert lines.index("READY=1") < lines.index("STOPPING=1"), lines
    after_ready = lines[lines.index("READY=1") : lines.index("STOPPING=1")]
    assert after_ready.count("WATCHDOG=1") >= 4, lines  # every 0.5 s for ~4 s
    assert next(line for line in lines if line.startswith("STATUS=")) == "STATUS=starting"
    assert qt_warnings(tmp_path / "log") == [], qt_warnings(tmp_path / "log")
