"""`kiosk sync status` as a technician runs it on a terminal with queued records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox

KIOSK = str(Path(sys.executable).parent / "kiosk")


def kiosk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path),
        "KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db"),
        "KIOSK__CACHE__KEY_FILE": str(tmp_path / "keys.json"),
    }
    return subprocess.run(
        [KIOSK, "--lang", "en", *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_status_counts_what_is_owed(tmp_path):
    db = connect(tmp_path / "kiosk.db")
    outbox = Outbox(db, Keyring.open(tmp_path / "keys.json"))
    for n in range(3):
        outbox.add("rating", {"level": n + 1})
    outbox.failed([outbox.due()[0].idempotency_key], "backend unreachable")
    db.close()
    shown = kiosk(tmp_path, "sync", "status", "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["depth"] == 3 and status["last_error"]["error"] == "backend unreachable"
    human = kiosk(tmp_path, "sync", "status")
    assert "outbox: 3 records" in human.stdout and "backend unreachable" in human.stdout


def test_a_key_file_others_can_read_is_refused_in_one_line(tmp_path):
    Keyring.open(tmp_path / "keys.json")
    (tmp_path / "keys.json").chmod(0o644)
    refused = kiosk(tmp_path, "sync", "status")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "readable by others" in refused.stderr
