"""`kiosk run` after a power loss: the session the journal holds open is settled
before the first screen (flows/recovery.py), on this terminal's services: the refund
is queued for the backend, the end is reported, and the journal is closed."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from flows.loader import flow_files, load_flow
from flows.runner import HeadlessRunner, load_script
from kiosk.config import load
from kiosk.strings import catalogue
from offline_cache.database import connect
from offline_cache.journal import Journal
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.e2e.test_run import KIOSK, env_for
from tests.services.power import CutJournal, PowerCut
from wire import crypto

ANSWERS = Path(__file__).resolve().parents[1] / "flows" / "id_renewal.lost.answers.yaml"


def test_the_next_start_settles_a_paid_session_before_the_first_screen(tmp_path):
    db_file, key_file = tmp_path / "var" / "kiosk.db", tmp_path / "var" / "keys.json"
    db = connect(db_file)
    flow = next(load_flow(p, catalogue()) for p in flow_files() if p.stem == "id_renewal")
    with pytest.raises(PowerCut):
        # just paid: the power goes
        HeadlessRunner(flow, load_script(ANSWERS), CutJournal(db, lambda e: e.committed)).run()
    (cut,) = Journal(db).open_sessions()
    db.close()

    png = tmp_path / "first.png"
    identity = db_file.with_name("identity.json")  # none: not enrolled, no link
    env = env_for(tmp_path, KIOSK__CACHE__DATABASE=str(db_file),
                  KIOSK__CACHE__KEY_FILE=str(key_file),
                  KIOSK__BACKEND__IDENTITY_FILE=str(identity))  # fmt: skip
    result = subprocess.run([KIOSK, "run", "--screenshot", str(png)], capture_output=True,
                            text=True, timeout=120, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert png.exists()  # the screen came up after the settling

    db = connect(db_file)
    journal = Journal(db)
    assert journal.open_sessions() == []
    assert journal.entries(cut.session_id)[-1].to_step is None  # ended
    # no receipt printer here: the voucher could not print, so not "recovered"
    (outcome,) = db.execute(
        "SELECT outcome FROM journal_session WHERE session_id = ?", (cut.session_id,)
    ).fetchone()
    assert outcome == "recovery_failed"
    suite = load(env=env).config.crypto.suite  # the terminal's, as it sealed them
    later = time.time() + 86400  # whatever the link's backoff, every record is due
    outbox = Outbox(db, Keyring.open(key_file, suite, crypto.suite), clock=lambda: later)
    queued = {p.kind: p.record for p in outbox.due(limit=100)}
    assert queued["payment"] == {"out_trade_no": "P-77", "state": "REFUND_REQUESTED",
                                 "amount_fen": 4000}  # fmt: skip
    assert (queued["audit"]["event"], queued["audit"]["outcome"]) == (
        "session_ended", "recovery_failed"
    )  # fmt: skip
    db.close()
    log = [json.loads(line) for line in (tmp_path / "log" / "kiosk.jsonl").read_text().splitlines()]
    settled = [r["msg"] for r in log if r["logger"] == "kiosk.recovery"]
    assert any("settled" in m and cut.session_id in m and "recovery_failed" in m for m in settled)
    assert "钱多多" not in (tmp_path / "log" / "kiosk.jsonl").read_text()
