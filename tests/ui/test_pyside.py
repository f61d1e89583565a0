"""The PySide6 in use keeps Python's reference counts: PySide6 6.12.0 dropped a
reference to None or True/False on every call returning one (processEvents(), a
signal's emit()), and a kiosk aborted after some hours of screens. A release with
that fault must fail here, not in a police booth at 3 a.m."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal


class Emitter(QObject):
    changed = Signal()


def test_void_calls_and_emits_keep_none_and_the_booleans(qapp):
    emitter, timer = Emitter(), QTimer()
    for name, call in (
        ("processEvents", qapp.processEvents),
        ("emit", emitter.changed.emit),
        ("QTimer.stop", timer.stop),
    ):
        before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
        for _ in range(2000):
            call()
        after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
        drift = [a - b for a, b in zip(after, before, strict=True)]
        assert all(abs(d) < 50 for d in drift), f"{name} moves None/True/False by {drift}"
