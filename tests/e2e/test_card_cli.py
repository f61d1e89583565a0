"""`kiosk sim smartcard` and `kiosk card read` as a technician runs them, on the real
pcscd with its vpcd reader."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

KIOSK = str(Path(sys.executable).parent / "kiosk")
REPO = Path(__file__).resolve().parents[2]
FACE = REPO / "tests" / "data" / "faces" / "astronaut.png"
ENV = {"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C.UTF-8"}

pytestmark = pytest.mark.service


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSK, "--lang", "en", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=ENV,
    )


def test_a_malformed_key_is_one_line_and_exit_2():
    for key in ("C0123,8001,300101", "C01234567,800101", "C0!234567,800101,300101"):
        result = kiosk("card", "read", "--mrz", key)
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and "--mrz" in result.stderr


def test_the_simulated_passport_is_read_through_pcscd(pcscd_service, tmp_path):
    profile = tmp_path / "passport.toml"
    profile.write_text(
        'document_number = "E98765432"\nbirth_date = "520727"\nexpiry_date = "310615"\n'
        f'names = "LI<<SIMING"\nface_image = "{FACE}"\nface_format = "jpeg2000"\n'
    )
    with subprocess.Popen(
        [KIOSK, "sim", "smartcard", "--profile", str(profile)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
        env=ENV,
    ) as sim:
        try:
            assert sim.stdout is not None and sim.stdin is not None
            sim.stdout.readline()
            assert sim.stdout.readline().strip() == "Virtual PCD 00 00"
            sim.stdout.readline()  # the console's help
            read = _read_when_present("E98765432,520727,310615")
            assert read.returncode == 0, read.stderr
            found = json.loads(read.stdout)
            assert found["dg1"]["names"] == "LI<<SIMING" and found["dg1"]["kind"] == "TD3"
            assert found["dg2"] == {
                "decoded": True,
                "format": "jpeg2000",
                "width": 413,
                "height": 531,
                "bytes": found["dg2"]["bytes"],
                "error": None,
            }
            refused = kiosk("card", "read", "--mrz", "E98765432,520727,310616")
            assert refused.returncode == 1 and "refused the key" in refused.stdout
            sim.stdin.write("remove\n")
            sim.stdin.flush()
            assert sim.stdout.readline().strip() == "ok"
            absent = _read_when_absent("E98765432,520727,310615")
            assert absent.returncode == 3 and "no card" in absent.stderr
        finally:
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=10)
    assert sim.returncode == 0


def _read_when_present(key: str) -> subprocess.CompletedProcess[str]:
    """pcscd notices a card within a few polls: try for a few seconds."""
    for _ in range(20):
        result = kiosk("card", "read", "--mrz", key, "--json")
        if result.returncode != 3:
            return result
    return result


def _read_when_absent(key: str) -> subprocess.CompletedProcess[str]:
    for _ in range(20):
        result = kiosk("card", "read", "--mrz", key)
        if result.returncode == 3:
            return result
    return result
