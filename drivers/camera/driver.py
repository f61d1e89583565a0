"""The camera driver (OpenCV `VideoCapture`).

One reader thread owns the capture (OpenCV captures are not thread-safe) and puts
each frame into a bounded queue that drops the oldest and never blocks; the GUI
and the photo pipeline take the newest frame from it. Reads have OpenCV's own open
and read timeouts, so a camera that stalls is noticed (offline) rather than waited
for; a camera that vanishes is reopened with backoff.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

# FFmpeg's own console chatter ("Connection refused") would bypass our log.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from drivers.model import DeviceState, Status, StatusChanged
from drivers.worker import CommandContext, CommandHandle, DeviceWorker

cv2.setLogLevel(2)  # errors only: a stalled stream is our status event, not a warning

BACKOFF_S = (0.2, 0.4, 0.8, 1.6, 2.0)
BLACK_MEAN = 8.0  # mean brightness under which a frame is "black" (lens covered, no signal)


@dataclass(frozen=True)
class Frame:
    image: np.ndarray
    captured_at: float  # time.monotonic() when the driver got it
    seq: int


class FrameQueue:
    """Bounded: `put` drops the oldest frame and never blocks; `get` waits at most
    `timeout` for a frame newer than the last one taken."""

    def __init__(self, size: int = 2) -> None:
        self._frames: collections.deque[Frame] = collections.deque(maxlen=size)
        self._ready = threading.Condition()
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        with self._ready:
            if len(self._frames) == self._frames.maxlen:
                self.dropped += 1
            self._frames.append(frame)
            self._ready.notify_all()

    def get(self, timeout: float) -> Frame | None:
        with self._ready:
            if not self._frames and not self._ready.wait_for(lambda: bool(self._frames), timeout):
                return None
            newest = self._frames[-1]
            self._frames.clear()
            return newest

    def __len__(self) -> int:
        return len(self._frames)


class OpenCvCamera:
    """`camera` driver. `port`: a device index ("0"), a device path or a URL."""

    device_class = "camera"

    def __init__(
        self,
        port: str,
        name: str = "camera",
        on_event: Callable[[Any], None] | None = None,
        queue_size: int = 2,
        open_timeout_ms: int = 3000,
        read_timeout_ms: int = 1000,
    ) -> None:
        self.name = name
        self.source: int | str = int(port) if port.isdigit() else port
        self.on_event = on_event or (lambda event: None)
        self.frames = FrameQueue(queue_size)
        self.worker = DeviceWorker(name, self.on_event)
        self.status = Status(DeviceState.STARTING)
        self.open_timeout_ms, self.read_timeout_ms = open_timeout_ms, read_timeout_ms
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None
        self._seq = 0
        self._lock = threading.Lock()

    # --- commands --------------------------------------------------------------------

    def open(self, timeout_s: float = 5.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", lambda ctx: self._media(), timeout_s)

    def still(self, timeout_s: float = 3.0) -> CommandHandle:
        """The next frame after now (a photo is taken, not a stale one reused)."""
        return self.worker.submit("still", self._still, timeout_s)

    def self_test(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.still(timeout_s)

    def close(self) -> None:
        self._stop.set()
        if self._reader is not None:
            self._reader.join(timeout=3)
        self.worker.stop()

    # --- on the worker ------------------------------------------------------------

    def _open(self, ctx: CommandContext) -> dict[str, str]:
        if self._reader is None:
            self._reader = threading.Thread(
                target=self._read_loop, name=f"camera-{self.name}", daemon=True
            )
            self._reader.start()
        while self.frames.get(0.05) is None:
            ctx.check()
        return self._media()

    def _still(self, ctx: CommandContext) -> dict[str, Any]:
        asked = time.monotonic()
        while True:
            frame = self.frames.get(min(0.05, max(0.0, ctx.remaining())))
            if frame is not None and frame.captured_at >= asked:
                return {"image": frame.image, "seq": frame.seq}
            ctx.check()

    def _media(self) -> dict[str, str]:
        return dict(self.status.media)

    # --- the reader thread ------------------------------------------------------------

    def _read_loop(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            capture = self._capture()
            if capture is None:
                self._set(Status(DeviceState.NO_DEVICE, {"image": "none"}))
                self._stop.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1
                continue
            attempt = 0
            self._pump(capture)
            capture.release()

    def _capture(self) -> cv2.VideoCapture | None:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            self.open_timeout_ms,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            self.read_timeout_ms,
        ]
        backend = cv2.CAP_FFMPEG if isinstance(self.source, str) else cv2.CAP_ANY
        capture = cv2.VideoCapture(self.source, backend, params)
        if not capture.isOpened():
            capture.release()
            return None
        return capture

    def _pump(self, capture: cv2.VideoCapture) -> None:
        """Read until the camera stops answering; then the caller reopens it."""
        while not self._stop.is_set():
            ok, image = capture.read()  # returns within the read timeout
            if not ok or image is None:
                self._set(Status(DeviceState.OFFLINE, {"image": "none"}))
                return
            self._seq += 1
            black = float(image.mean()) < BLACK_MEAN
            self._set(Status(DeviceState.ONLINE, {"image": "black" if black else "ok"}))
            self.frames.put(Frame(image, time.monotonic(), self._seq))

    def _set(self, status: Status) -> None:
        with self._lock:
            if status == self.status:
                return
            before, self.status = self.status, status
        self.on_event(StatusChanged(self.name, before, status))
