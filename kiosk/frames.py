"""The newest camera frame, for whoever wants it: a camera driver's queue is read by
one thread here, and the preview and the analysis (the photo step's, the face
check's) each take the newest frame without waiting for the other.

Qt-free: the screen's image provider and the Qt-free face check both read it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

FrameGetter = Callable[[float], Any]  # the driver's FrameQueue.get: a Frame, an array, None


class FrameTap:
    """Keeps the newest frame from a camera's queue, on a thread of its own."""

    def __init__(self, get: FrameGetter) -> None:
        self.get = get
        self._newest: tuple[int, np.ndarray] | None = None
        self._ready = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-tap", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        seq = 0
        while not self._stop.is_set():
            got = self.get(0.1)
            if got is None:
                continue
            image = got if isinstance(got, np.ndarray) else got.image
            seq += 1
            with self._ready:
                self._newest = (seq, image)
                self._ready.notify_all()

    def newest(self) -> tuple[int, np.ndarray] | None:
        return self._newest

    def newer_than(self, seq: int, timeout: float) -> np.ndarray | None:
        with self._ready:
            fresh = self._ready.wait_for(
                lambda: self._newest is not None and self._newest[0] > seq, timeout
            )
            return self._newest[1] if fresh and self._newest is not None else None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
