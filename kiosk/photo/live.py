"""Live guidance and auto-capture: the newest preview frame analysed at about 10 Hz
on a thread of its own, apart from the preview's rate; each analysis goes to the
screen (its hints and the guide's target box); when every check has passed over a
few frames in a row and for `steady_s` seconds, the still is taken and made into the
spec's photo. The hold is timed, not counted: a terminal that analyses only three
frames a second (a loaded machine) would otherwise ask a swaying citizen for ten
seconds of stillness instead of three, and never take the photo.

Frames that arrive while one is analysed are skipped, never queued: the hint is
always about the citizen as they are now. The models load on the first frame.

Hints hold steady: a problem is shown once two of the last three frames have it
and goes once two of three are free of it; and a problem on screen keeps its hint
until its measure is back inside the limit by a margin (checks.analyse's `shown`),
so a face resting on a limit does not make the hint flicker. What counts as a
problem is verdict.decide's, as for `photo check` and `photo make`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from kiosk.memory import give_back
from kiosk.photo.checks import Analysis, analyse
from kiosk.photo.faces import FaceModels
from kiosk.photo.problems import RANK, Problem
from kiosk.photo.process import Made, make
from kiosk.photo.spec import PhotoSpec
from kiosk.photo.verdict import decide

log = logging.getLogger("kiosk.photo.live")

FrameSource = Callable[[float], np.ndarray | None]  # newest frame, waiting at most s
StillSource = Callable[[], np.ndarray | None]  # a full-resolution still, taken now


class SteadyHints:
    """The problems to show: each seen in `enter` of the last `window` frames."""

    def __init__(self, window: int = 3, enter: int = 2) -> None:
        self.frames: deque[dict[str, Problem]] = deque(maxlen=window)
        self.enter = enter
        self.shown: frozenset[str] = frozenset()

    def update(self, problems: list[Problem]) -> list[Problem]:
        self.frames.append({p.code: p for p in problems})
        steady: dict[str, Problem] = {}
        for frame in self.frames:  # oldest first: the newest value of each wins
            steady.update(frame)
        kept = [
            problem
            for code, problem in steady.items()
            if sum(code in frame for frame in self.frames) >= self.enter
        ]
        kept.sort(key=lambda p: RANK.index(p.code))
        self.shown = frozenset(p.code for p in kept)
        return kept


class LiveAnalyser:
    def __init__(
        self,
        frames: FrameSource,
        spec: PhotoSpec,
        on_analysis: Callable[[Analysis], None],
        on_capture: Callable[[Made], None],
        still: StillSource | None = None,
        rate_hz: float = 10.0,
        steady: int = 3,
        steady_s: float = 0.0,
    ) -> None:
        self.frames = frames
        self.spec = spec
        self.on_analysis = on_analysis
        self.on_capture = on_capture
        self.still = still
        self.period = 1.0 / rate_hz
        self.steady = steady  # clean analyses in a row, at least
        self.steady_s = steady_s  # and this long since the first of them
        self.analysed = 0
        self.hints = SteadyHints()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LiveAnalyser:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="photo-live", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop, and wait for the thread: a still being made (a fraction of a second,
        longer on a loaded machine) finishes before anything it reports to is gone."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        preview = FaceModels(stream=True)  # tracking: faster from frame to frame
        try:
            clean_in_a_row, clean_since = 0, 0.0
            while not self._stop.is_set():
                started = time.monotonic()
                frame = self.frames(self.period)
                if frame is None:
                    continue
                found = preview.find(frame)
                analysis = analyse(frame, found, self.spec, live=True, shown=self.hints.shown)
                verdict = decide(analysis, self.spec, "live")
                self.analysed += 1
                self.on_analysis(replace(analysis, problems=self.hints.update(verdict.refused)))
                clean_in_a_row = clean_in_a_row + 1 if verdict.ok else 0
                analysed_at = time.monotonic()
                if clean_in_a_row == 1:
                    clean_since = analysed_at
                held = analysed_at - clean_since
                if clean_in_a_row >= self.steady and held >= self.steady_s:
                    self._capture(frame)
                    return
                self._stop.wait(max(0.0, self.period - (time.monotonic() - started)))
        except Exception:  # a fault here must not leave the screen waiting forever
            log.exception("live photo analysis stopped")
            self.on_capture(Made([]))
        finally:
            preview.close()
            give_back()  # the models' buffers, to the system: the next screen needs them

    def _capture(self, frame: np.ndarray) -> None:
        still = self.still() if self.still is not None else None
        models = FaceModels()  # still mode: the whole picture, found anew
        try:
            self.on_capture(make(still if still is not None else frame, self.spec, models))
        finally:
            models.close()
            give_back()
