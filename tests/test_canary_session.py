"""A citizen's data does not outlive their session: not in the engine's or runner's
memory, not in the database or its WAL, not in a temporary file, not in a log."""

from __future__ import annotations

import gc
import logging
import tempfile
import time
import types
from pathlib import Path

from flows.loader import load_flow
from flows.runner import HeadlessRunner, Script
from kiosk import logs
from kiosk.config import LoggingSection
from kiosk.privacy import Redactor
from offline_cache.database import connect
from offline_cache.journal import Journal
from tests import canary

FLOW = load_flow(Path(__file__).resolve().parent / "flows" / "test_renewal.yaml")


def canary_script() -> Script:
    return Script.from_document(
        {
            "answers": {
                "welcome": "continue",
                "reason": "lost",
                "contact_lost": {
                    "name": canary.NAME,
                    "id_number": canary.ID_NUMBER,
                    "phone": canary.PHONE,
                },
                "check": "confirm",
                "rating": 4,
                "finished": "finish",
            },
            "services": {
                "pay": {"result": {"payment_ref": "P-9", "state": "paid", "amount_fen": 4000}},
                "slip": {"result": {"job_ref": "J-9", "state": "printed"}},
            },
        },
        "canary",
    )


def reachable_text(root: object) -> list[str]:
    """Every str and bytes reachable from `root` through data (not code or modules)."""
    seen: set[int] = set()
    found: list[str] = []
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(
            obj,
            (
                type,
                types.ModuleType,
                types.FunctionType,
                types.BuiltinFunctionType,
                types.MethodType,
            ),
        ):
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            found.append(obj)
        elif isinstance(obj, (bytes, bytearray)):
            found.append(bytes(obj).decode("utf-8", errors="replace"))
        else:
            todo.extend(gc.get_referents(obj))
    return found


def test_nothing_of_the_citizen_outlives_the_session(tmp_path, restore_logging):
    started = time.time()
    redactor = Redactor()
    logs.setup(
        LoggingSection(level="DEBUG", dir=tmp_path / "log", stderr=False, sensitive="redacted"),
        redactor,
    )
    db_path = tmp_path / "kiosk.db"
    db = connect(db_path)
    runner = HeadlessRunner(FLOW, canary_script(), Journal(db), redactor)
    logging.getLogger("kiosk.flows").info("collected %s", runner.session.collected)

    # While the session runs, the confirm step shows the citizen everything in full.
    transcript = runner.run()
    assert transcript["outcome"] == "done"
    assert runner.session.ended and runner.session.collected == {}

    memory = [leak for text in reachable_text(runner) for leak in canary.leaks(text)]
    assert memory == []
    assert canary.leaks(str(transcript)) == []

    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    files = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    assert Path(f"{db_path}-wal").exists()
    for path in files:
        if path.exists():
            assert canary.leaks(path.read_bytes().decode("utf-8", errors="replace")) == [], path
    db.close()

    logs.shutdown()
    assert canary.leaks_in_tree(tmp_path / "log") == []
    fresh = [
        p
        for p in Path(tempfile.gettempdir()).iterdir()
        if p.is_file() and p.stat().st_mtime >= started
    ]
    assert [f for p in fresh for f in canary.leaks(p.read_bytes().decode(errors="replace"))] == []


def test_the_memory_check_can_fail():
    """While the session is open, the walk does find the citizen."""
    runner = HeadlessRunner(FLOW, canary_script())
    runner.session.collect(
        "probe", __import__("flows.results").results.FormValues(values={"name": canary.NAME})
    )
    assert "name: 钱多多" in [leak for t in reachable_text(runner) for leak in canary.leaks(t)]
