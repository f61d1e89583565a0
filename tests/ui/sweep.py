"""The leftovers sweep: after a citizen's session has ended, look everywhere the
terminal could have kept something of them (files under the home, config, cache
and temporary folders and the log folder, every property of every object on the
screen and of the shell, every string still alive in the Python process, every log
record) and list what it looked at and where a marker was found."""

from __future__ import annotations

import gc
import linecache
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject

ENCODINGS = ("utf-8", "utf-16-le", "gb18030")  # Qt keeps UTF-16; Chinese files GB 18030
MAX_FILE = 64 << 20
HARNESS = ("_pytest", "pytest", "pluggy", "pytestqt")


@dataclass
class Sweep:
    markers: tuple[str, ...]  # the citizen's name, ID number, phone
    looked_at: Counter[str] = field(default_factory=Counter)
    found: list[str] = field(default_factory=list)
    _read: set[Path] = field(default_factory=set)

    def _check(self, where: str, text: str) -> None:
        for marker in self.markers:
            if marker in text:
                self.found.append(f"{where}: {marker}")

    def files(self, *roots: Path, since: float = 0.0) -> None:
        """Every regular file under `roots` changed since `since`, in three encodings."""
        needles = {m: [m.encode(e) for e in ENCODINGS] for m in self.markers}
        for root in roots:
            if not root.is_dir():
                continue
            self.looked_at["folders"] += 1
            for path in root.rglob("*"):
                try:
                    if path in self._read or path.is_symlink() or not path.is_file():
                        continue
                    stat = path.stat()
                    if stat.st_mtime < since or stat.st_size > MAX_FILE:
                        continue
                    data = path.read_bytes()
                except OSError:  # gone meanwhile, or a socket
                    continue
                self._read.add(path)
                self.looked_at["files"] += 1
                for marker, encoded in needles.items():
                    if any(n in data for n in encoded):
                        self.found.append(f"file {path}: {marker}")

    def objects(self, roots: Iterable[QObject], what: str) -> None:
        """Every property of every object under `roots` (Qt's and QML's own)."""
        for root in roots:
            for obj in [root, *root.findChildren(QObject)]:
                self.looked_at[f"{what} objects"] += 1
                for name in _property_names(obj):
                    try:
                        value = obj.property(name)
                    except Exception:  # a property PySide cannot convert: not text
                        continue
                    self.looked_at[f"{what} properties"] += 1
                    self._check(f"{what} {type(obj).__name__}.{name}", _text(value))
                    del value

    def memory(self, known: Iterable[object]) -> None:
        """Every string held by a live Python container: what the screen, the
        services or a cache still hold. Not the test harness's own: the test's
        constants, source lines kept for tracebacks, pytest's objects, this sweep."""
        ours = {id(k) for k in known}
        harness = {id(self.found)} | {id(entry[2]) for entry in linecache.cache.values()
                                      if len(entry) > 2}  # fmt: skip
        gc.collect()
        # The collector lists only the containers it tracks, and it stops tracking a
        # dict or tuple of strings alone: the walk goes on through every referent.
        todo = [o for o in gc.get_objects() if id(o) not in harness
                and not str(type(o).__module__).startswith(HARNESS)]  # fmt: skip
        seen = {id(o) for o in todo} | harness
        while todo:
            holder = todo.pop()
            self.looked_at["live containers"] += 1
            for value in gc.get_referents(holder):
                if type(value) is str:
                    if id(value) not in ours and any(m in value for m in self.markers):
                        self._check(f"memory {_held_by(holder)}", value)
                elif isinstance(value, _CONTAINERS) and id(value) not in seen:
                    seen.add(id(value))
                    todo.append(value)

    def records(self, records: Iterable[logging.LogRecord]) -> None:
        for record in records:
            self.looked_at["log records"] += 1
            extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
            self._check(f"log {record.name}", f"{record.getMessage()} {extras}")

    def report(self) -> str:
        seen = ", ".join(f"{n} {what}" for what, n in sorted(self.looked_at.items()))
        return f"looked at {seen}; found {len(self.found)}"


class Recorder(logging.Handler):
    """Every record of the session, before any masking, at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.kept: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.kept.append(record)


_CONTAINERS = (dict, list, tuple, set, frozenset)


def _held_by(holder: object) -> str:
    """The holder's type and who holds it in turn (for the failure's message)."""
    above = sorted({type(r).__name__ for r in gc.get_referrers(holder)} - {"list"})[:4]
    return f"{type(holder).__name__} {repr(holder)[:60]} held by {above}"


def _property_names(obj: QObject) -> list[str]:
    meta = obj.metaObject()
    names = [str(meta.property(i).name()) for i in range(meta.propertyCount())]
    # PySide maps a wrapper to each C++ address it has seen: a QML type's
    # meta-object is freed with its engine, its address reused by a later item, and
    # a lingering wrapper would come back as that item. Let go of it now.
    shiboken6.invalidate(meta)
    return names


def _text(value: Any) -> str:
    if hasattr(value, "toVariant"):
        value = value.toVariant()
    return value if isinstance(value, str) else repr(value)


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
