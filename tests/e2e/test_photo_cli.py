"""`kiosk photo check|make` as a clerk or a technician runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

KIOSK = str(Path(sys.executable).parent / "kiosk")
REPO = Path(__file__).resolve().parents[2]
FACES = REPO / "tests" / "data" / "faces"
SPECS = REPO / "tests" / "photo" / "specs"


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSK, "--lang", "en", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"},
    )


def test_check_lists_the_problem_codes():
    result = kiosk("photo", "check", str(FACES / "astronaut.png"), "--spec", "id_card", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert "mouth_open" in [p["code"] for p in report["problems"]] and not report["ok"]
    grace = kiosk("photo", "check", str(FACES / "grace_hopper.jpg"), "--spec", "exit_entry")
    assert grace.returncode == 1 and "head_covering: Please take off your hat" in grace.stdout
    assert grace.stderr == ""  # the models' own chatter goes to the log, not the console


@pytest.mark.parametrize(
    ("spec", "size", "dpi", "window"),
    [("id_card", (358, 441), 350, (14, 20)), ("exit_entry", (390, 567), 300, (20, 80))],
)
def test_make_under_a_spec_file_gives_the_spec_photo_and_sheet(tmp_path, spec, size, dpi, window):
    out, sheet = tmp_path / "photo.jpg", tmp_path / "sheet.pdf"
    result = kiosk(
        "photo", "make", str(FACES / "grace_hopper.jpg"),
        "--spec", str(SPECS / f"grace_hopper_{spec}.toml"), "-o", str(out), "--sheet", str(sheet),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    with Image.open(out) as photo:
        assert photo.size == size and photo.info["dpi"] == (dpi, dpi)
    assert window[0] * 1024 <= out.stat().st_size <= window[1] * 1024
    assert sheet.read_bytes().startswith(b"%PDF") and sheet.with_suffix(".png").exists()
    assert "background replaced" in result.stdout


def test_refusals_and_bad_input(tmp_path):
    refused = kiosk(
        "photo",
        "make",
        str(FACES / "astronaut.png"),
        "--spec",
        "id_card",
        "-o",
        str(tmp_path / "x.jpg"),
    )
    assert refused.returncode == 1 and "mouth_open" in refused.stdout
    assert not (tmp_path / "x.jpg").exists()
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a picture")
    bad_spec = tmp_path / "city.toml"
    bad_spec.write_text('extends = "id_card"\nomit = ["wings"]\n')
    for args in (
        ["photo", "check", str(junk), "--spec", "id_card"],
        ["photo", "check", str(FACES / "astronaut.png"), "--spec", "passport_of_mars"],
        ["photo", "check", str(FACES / "astronaut.png"), "--spec", str(bad_spec)],
        ["photo", "make", str(FACES / "astronaut.png"), "--spec", "id_card"],
    ):
        result = kiosk(*args)
        assert result.returncode == 2, (args, result)
        assert result.stderr.count("\n") == 1, result.stderr
