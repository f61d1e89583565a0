"""Broken camera drivers, each with one classic mistake."""

from __future__ import annotations

import time

from drivers.camera.driver import FrameQueue, OpenCvCamera


class _Fifo(FrameQueue):
    """Keeps every frame and hands out the oldest: the preview falls behind."""

    def __init__(self) -> None:
        super().__init__(10_000)

    def get(self, timeout):
        deadline = time.monotonic() + timeout
        while not self._frames and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._ready:
            return self._frames.popleft() if self._frames else None


class UnboundedQueue(OpenCvCamera):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frames = _Fifo()


class NoReadTimeout(OpenCvCamera):
    """Waits on a stalled stream for a minute: the kiosk thinks the camera is fine."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, read_timeout_ms=60_000, **kwargs)


class NoReconnect(OpenCvCamera):
    def _read_loop(self):
        capture = self._capture()
        if capture is not None:
            self._pump(capture)
            capture.release()


class StaleStill(OpenCvCamera):
    """Takes the last frame it has, however old, as the photo."""

    last = None

    def _still(self, ctx):
        frame = self.frames.get(0.5) or self.last
        self.last = frame
        if frame is None:
            ctx.check()
        return {"image": frame.image, "seq": frame.seq}


class NoBlackDetection(OpenCvCamera):
    def _set(self, status):
        if status.media.get("image") == "black":
            status = type(status)(status.device, {"image": "ok"})
        super()._set(status)


MUTANTS = {
    UnboundedQueue: "bounded queue",
    NoReadTimeout: "stall",
    NoReconnect: "restart",
    StaleStill: "still timeout and cancel",
    NoBlackDetection: "black frames",
}
