"""Every fault of every device is reachable from `kiosk sim --fault`, its live
console and the configuration, and only those: a fault a device does not have is
refused in one line that lists the ones it has. The camera's faults, once only in
the Python API, stall and black out a real stream; the devices guide's table is the code's."""

from __future__ import annotations

import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import get_args

import pytest

from drivers.config import FaultKind
from drivers.faults import FAULTS

KIOSK = str(Path(sys.executable).parent / "kiosk")
REPO = Path(__file__).resolve().parents[2]


def test_every_listed_fault_is_a_fault_kind_and_every_kind_is_somebodys() -> None:
    listed = {kind for faults in FAULTS.values() for kind in faults}
    assert listed == set(get_args(FaultKind))


@pytest.mark.parametrize("device", sorted(FAULTS))
def test_a_fault_the_device_does_not_have_is_refused_in_one_line(device: str) -> None:
    foreign = next(k for k in get_args(FaultKind) if k not in FAULTS[device])
    result = subprocess.run([KIOSK, "sim", device, "--fault", foreign], capture_output=True,
                            text=True, timeout=60, cwd=REPO)  # fmt: skip
    assert result.returncode == 2, result
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{device} has no fault {foreign}" in result.stderr
    assert all(kind in result.stderr for kind in FAULTS[device])


def test_the_configuration_refuses_a_fault_the_device_does_not_have(tmp_path: Path) -> None:
    conf = tmp_path / "kiosk.toml"
    conf.write_text('[devices.fingerprint]\ndriver = "r30x"\nport = "/dev/null"\n'
                    '[[devices.fingerprint.faults]]\nkind = "paper_out"\n')  # fmt: skip
    result = subprocess.run([KIOSK, "--config", str(conf), "config", "check"],
                            capture_output=True, text=True, timeout=60, cwd=REPO)  # fmt: skip
    assert result.returncode != 0
    assert "fingerprint has no fault paper_out" in result.stdout + result.stderr


def frames(stream, seconds: float) -> int:
    """MJPEG frames read from `stream` within `seconds`."""
    deadline, count, buffer = time.monotonic() + seconds, 0, b""
    while time.monotonic() < deadline:
        ready = select.select([stream], [], [], 0.1)[0]
        if ready:
            chunk = stream.read1(65536)
            if not chunk:
                break
            buffer += chunk
            count += buffer.count(b"--frame")
            buffer = buffer[buffer.rfind(b"--frame") + 7 :] if b"--frame" in buffer else buffer
    return count


def test_the_camera_stalls_from_its_console() -> None:
    import urllib.request

    with subprocess.Popen([KIOSK, "sim", "camera"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, cwd=REPO) as sim:  # fmt: skip
        try:
            assert sim.stdout is not None and sim.stdin is not None
            url = ""
            while not url.startswith("http"):
                url = sim.stdout.readline().strip()
            with urllib.request.urlopen(url, timeout=10) as stream:
                assert frames(stream.fp, 1.5) >= 5  # the camera runs
                sim.stdin.write("fault gremlin\nfault paper_out\n")
                sim.stdin.flush()
                assert "camera has no fault paper_out" in _line_with(sim, "paper_out")
                sim.stdin.write("fault stall 2500\n")
                sim.stdin.flush()
                assert _line_with(sim, "ok") == "ok"
                time.sleep(0.3)
                assert frames(stream.fp, 1.5) <= 1  # stalled: the connection stays, no frames
                time.sleep(1.2)
                assert frames(stream.fp, 1.5) >= 5  # and back
        finally:
            sim.terminate()


def _line_with(sim: subprocess.Popen[str], word: str) -> str:
    assert sim.stdout is not None
    for _ in range(20):
        line = sim.stdout.readline().strip()
        if word in line:
            return line
    raise AssertionError(f"no line with {word!r}")


def test_the_devices_guide_lists_each_simulators_faults_as_the_code_does() -> None:
    readme = (REPO / "docs" / "devices.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|$", readme, re.M))
    for device, faults in FAULTS.items():
        assert device in rows, f"docs/devices.md: no faults row for {device}"
        assert rows[device].strip() == ", ".join(f"`{k}`" for k in faults), device


def test_the_camera_goes_black_from_the_command_line() -> None:
    """`--fault black_frames:1:10`: from the tenth frame on, the picture is black."""
    import cv2

    with subprocess.Popen([KIOSK, "sim", "camera", "--fault", "black_frames:1:10"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          cwd=REPO) as sim:  # fmt: skip
        try:
            assert sim.stdout is not None
            url = ""
            while not url.startswith("http"):
                url = sim.stdout.readline().strip()
            capture = cv2.VideoCapture(url)
            means = []
            for _ in range(25):
                ok, frame = capture.read()
                assert ok
                means.append(float(frame.mean()))
            capture.release()
            assert min(means[:5]) > 50 and max(means[-10:]) < 10, means
        finally:
            sim.terminate()
