"""A power cut for tests: the journal of a terminal that loses power right after it
wrote a transition (the transition is kept; nothing after it runs)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from offline_cache.journal import Journal, JournalEntry


class PowerCut(Exception):
    pass


class CutJournal(Journal):
    def __init__(self, db: sqlite3.Connection, cut_after: Callable[[JournalEntry], bool]) -> None:
        super().__init__(db)
        self.cut_after = cut_after

    def record(self, entry: JournalEntry) -> None:
        super().record(entry)
        if self.cut_after(entry):
            raise PowerCut
