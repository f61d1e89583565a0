"""`kiosk face compare` as a technician runs it: the installed program, a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

KIOSK = str(Path(sys.executable).parent / "kiosk")
REPO = Path(__file__).resolve().parents[2]
FACES = REPO / "tests" / "data" / "faces"


def test_the_command_is_registered():
    assert "face" in entry_points(group="kiosk.commands").names


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}
    if "PYTHONPATH" in os.environ:  # a worktree tested against the shared virtualenv
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [KIOSK, "--lang", "en", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )


def test_compare_says_same_or_different_by_exit_code():
    same = kiosk("face", "compare", str(FACES / "obama2.jpg"), str(FACES / "obama.jpg"), "--json")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["same"] is True
    assert same.stderr == ""  # the models' own chatter goes to the log, not the console
    other = kiosk("face", "compare", str(FACES / "obama.jpg"), str(FACES / "grace_hopper.jpg"))
    assert other.returncode == 1 and "different people" in other.stdout


def test_a_file_that_is_not_there_is_one_line_and_exit_2(tmp_path):
    result = kiosk("face", "compare", str(tmp_path / "nobody.jpg"), str(FACES / "obama.jpg"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "nobody.jpg" in result.stderr and "Traceback" not in result.stderr
