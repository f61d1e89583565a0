"""How fast the flow engine runs sessions, and what the journal's durability costs.

Prints one JSON object: whole headless sessions of the test flow per second in
memory and with the SQLite journal (WAL, synchronous=FULL: every transition is on
disk before its effects run), and the median and 95th-percentile journal write.
Targets: a session's engine work under 5 ms; a journal write p95 under 20 ms
(a citizen never waits on it noticeably).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from flows.loader import load_flow
from flows.runner import HeadlessRunner, load_script
from offline_cache.database import connect
from offline_cache.journal import Journal, JournalEntry

TESTS = Path(__file__).resolve().parent.parent / "tests" / "flows"
SESSIONS = 200


class TimedJournal(Journal):
    def __init__(self, db) -> None:  # type: ignore[no-untyped-def]
        super().__init__(db)
        self.writes: list[float] = []

    def record(self, entry: JournalEntry) -> None:
        start = time.perf_counter()
        super().record(entry)
        self.writes.append(time.perf_counter() - start)


def main() -> None:
    flow = load_flow(TESTS / "test_renewal.yaml")
    answers = TESTS / "happy.answers.yaml"

    start = time.perf_counter()
    for _ in range(SESSIONS):
        HeadlessRunner(flow, load_script(answers)).run()
    in_memory = (time.perf_counter() - start) / SESSIONS

    with tempfile.TemporaryDirectory() as folder:
        journal = TimedJournal(connect(Path(folder) / "kiosk.db"))
        start = time.perf_counter()
        for _ in range(SESSIONS // 4):
            HeadlessRunner(flow, load_script(answers), journal).run()
        journaled = (time.perf_counter() - start) / (SESSIONS // 4)
        writes = sorted(journal.writes)
    print(
        json.dumps(
            {
                "benchmark": "flow_engine",
                "sessions": SESSIONS,
                "transitions_per_session": 9,
                "session_in_memory_ms": round(in_memory * 1000, 2),
                "session_with_journal_ms": round(journaled * 1000, 2),
                "journal_write_median_ms": round(statistics.median(writes) * 1000, 2),
                "journal_write_p95_ms": round(writes[int(len(writes) * 0.95)] * 1000, 2),
                "target_session_engine_ms": 5,
                "target_journal_write_p95_ms": 20,
            }
        )
    )


if __name__ == "__main__":
    main()
