"""The camera screen's machinery: the newest frame for the preview, live guidance
from the photo pipeline, the 3-2-1 of holding still, and the review.

The camera driver's reader thread fills its bounded queue; a tap thread here keeps
only the newest frame; the preview (an image provider QML asks at screen rate)
and the analysis (its own thread, about 10 Hz) both read that newest frame, so
neither waits for the other and the GUI thread never waits on the camera.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Property, QObject, QSize, Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtQuick import QQuickImageProvider

from kiosk.frames import FrameGetter, FrameTap
from kiosk.photo.checks import Analysis
from kiosk.photo.live import LiveAnalyser
from kiosk.photo.process import Made
from kiosk.photo.spec import load

STEADY_S = 3.0  # the countdown: this long with every check passing, then the photo
HINT_REPEAT_S = 6.0  # a hint not yet followed is said again after this long


def _image(newest: tuple[int, np.ndarray] | None) -> np.ndarray | None:
    return newest[1] if newest is not None else None


def to_qimage(image: np.ndarray) -> QImage:
    height, width = image.shape[:2]
    data = np.ascontiguousarray(image)
    return QImage(data.data, width, height, data.strides[0], QImage.Format.Format_BGR888).copy()


class CameraImages(QQuickImageProvider):
    """`image://camera/<n>`: the newest frame; `image://camera/photo-<n>`: the photo
    under review. Cleared with the session: nothing is served after it."""

    def __init__(self) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)
        self.tap: FrameTap | None = None
        self.photo: np.ndarray | None = None
        self.served = 0  # preview frames handed to the screen (the benchmark counts them)

    def requestImage(self, image_id: str, size: QSize, requested: QSize) -> QImage:
        picture: np.ndarray | None = None
        if image_id.startswith("photo-"):
            picture = self.photo
        elif self.tap is not None:
            newest = self.tap.newest()
            picture = newest[1] if newest else None
        if picture is None:
            blank = QImage(16, 9, QImage.Format.Format_RGB888)
            blank.fill(0)
            return blank
        self.served += 1
        return to_qimage(picture)

    def clear(self) -> None:
        self.tap = None
        self.photo = None


class PhotoStep(QObject):
    """The capture_photo step on screen: preview, hints, countdown, review."""

    changed = Signal()
    _analysed = Signal(object)
    _captured = Signal(object)

    def __init__(self, images: CameraImages, camera: Callable[[], FrameGetter | None]) -> None:
        super().__init__()
        self.images = images
        self.camera = camera
        self.on_hint: Callable[[str], None] = lambda message_id: None  # spoken by the shell
        self._spoken: tuple[str, float] = ("", 0.0)
        self._tap: FrameTap | None = None
        self._live: LiveAnalyser | None = None
        self._hints: list[str] = []
        self._guide = [0.0, 0.0, 0.0, 0.0]
        self._countdown = -1
        self._clean_since: float | None = None  # since when every check has passed
        self._frame = 0
        self._reviewing = False
        self._made: Made | None = None
        self._done: Callable[[Made], None] | None = None
        self._spec_name = "id_card"
        self._analysed.connect(self._on_analysis)
        self._captured.connect(self._on_capture)

    # --- what QML reads ------------------------------------------------------------------

    @Property("QVariantList", notify=changed)  # type: ignore[arg-type]
    def hints(self) -> list[str]:
        return [f"photo.problem.{code}" for code in self._hints[:2]]

    @Property("QVariantList", notify=changed)  # type: ignore[arg-type]
    def guide(self) -> list[float]:
        return list(self._guide)

    @Property(int, notify=changed)
    def countdown(self) -> int:
        return self._countdown

    @Property(int, notify=changed)
    def frameNo(self) -> int:
        return self._frame

    @Property(bool, notify=changed)
    def reviewing(self) -> bool:
        return self._reviewing

    # --- the step ------------------------------------------------------------------------

    def start(self, spec_name: str, done: Callable[[Made], None]) -> None:
        self.stop()
        self._spec_name, self._done = spec_name, done
        getter = self.camera()
        if getter is None:
            return
        self._tap = FrameTap(getter)
        self.images.tap = self._tap
        self._begin()

    def _begin(self) -> None:
        assert self._tap is not None
        tap = self._tap
        seen = {"seq": 0}

        def frames(timeout: float) -> np.ndarray | None:
            newest = tap.newest()
            seq = newest[0] if newest else 0
            image = tap.newer_than(max(seen["seq"], seq - 1), timeout)
            seen["seq"] = seq
            return image

        self._reviewing, self._made, self._countdown = False, None, -1
        self._clean_since = None
        self._live = LiveAnalyser(
            frames,
            load(self._spec_name),
            self._analysed.emit,
            self._captured.emit,
            still=lambda: _image(tap.newest()),
            steady=3,
            steady_s=STEADY_S,
        ).start()
        self.changed.emit()

    def tick(self) -> None:
        """Called at screen rate: the preview shows the newest frame."""
        if self._tap is not None and not self._reviewing:
            self._frame += 1
            self.changed.emit()

    @Slot()
    def accept(self) -> None:
        if self._made is not None and self._done is not None:
            made, done = self._made, self._done
            self.stop()
            done(made)

    @Slot()
    def retake(self) -> None:
        if self._tap is not None:
            self.images.photo = None
            self._begin()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._tap is not None:
            self._tap.stop()
            self._tap = None
        self.images.clear()
        self._hints, self._countdown, self._reviewing, self._made = [], -1, False, None
        self.changed.emit()

    # --- from the analysis thread, through queued signals ------------------------------

    def _on_analysis(self, analysis: Analysis) -> None:
        if self._live is None:
            return
        self._hints = analysis.codes
        if analysis.target_box is not None:
            newest = self._tap.newest() if self._tap else None
            if newest is not None:
                h, w = newest[1].shape[:2]
                x0, y0, x1, y1 = analysis.target_box
                self._guide = [x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h]
        self._speak_hint()
        if analysis.ok:  # 3-2-1 in seconds, as the analyser holds it (kiosk/photo/live.py)
            now = time.monotonic()
            if self._clean_since is None:
                self._clean_since = now
            self._countdown = max(1, math.ceil(STEADY_S - (now - self._clean_since)))
        else:
            self._clean_since, self._countdown = None, -1
        self.changed.emit()

    def _speak_hint(self) -> None:
        """The first hint, spoken when it changes, and again every few seconds at most."""
        if not self._hints:
            return
        message_id, now = f"photo.problem.{self._hints[0]}", time.monotonic()
        said, at = self._spoken
        if message_id != said or now - at > HINT_REPEAT_S:
            self._spoken = (message_id, now)
            self.on_hint(message_id)

    def _on_capture(self, made: Made) -> None:
        self._live = None
        self._countdown = -1
        if made.ok and made.image is not None:
            self._made, self._reviewing = made, True
            self.images.photo = made.image
        else:  # the still did not make the spec: start over, with its reasons as hints
            self._hints = [p.code for p in made.problems]
            if self._tap is not None:
                self._begin()
        self.changed.emit()
