"""The `verify_face` step on the camera (人证核验): the citizen at the screen is the
holder of the document the flow read.

One try: a challenge chosen at random (blink, turn left, turn right) is shown and
measured on the face mesh (`liveness.py`); while the citizen first looks straight
at the camera the clearest frontal frame is kept; once the challenge is passed that
frame is compared with the document's photo (`matcher.py`). A try that fails (not
live, not the holder, the face lost) is told to the screen and the next try gets a
new challenge; after the step's `retries` the step fails, and the flow sends the
citizen to the counter.

The templates and frames live in this thread's memory only and go with the try; the
result holds the score and the two verdicts, never an image (flows/results.py).
Qt-free: the screen shows the preview from `preview`'s tap and the challenge from
`progress`; headless runs use the same service on the simulated camera.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kiosk.frames import FrameGetter, FrameTap

log = logging.getLogger("kiosk.identity")

Finish = Callable[[dict[str, Any]], None]
ANALYSE_EVERY_S = 0.1  # about 10 frames a second are analysed, as the photo step does
FRONTAL_DEG = 8.0  # a frame kept for the comparison looks this straight at the camera
OPEN_EYES = 0.18  # and has its eyes open (measure.eye_ratio; closed reads under 0.12)
LIMIT_S = 10.0  # one try's time: the challenge is shown, done and decided within it


class FaceServices:
    def __init__(
        self,
        camera: Callable[[], FrameGetter | None],
        photos: dict[str, bytes],
        citizen: Callable[[str, dict[str, Any]], None] | None = None,
        matcher: Any = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        limit_s: float = LIMIT_S,
    ) -> None:
        self.camera = camera
        self.photos = photos  # the document photos the session read, by ref (shared)
        self.citizen = citizen or (lambda step_type, params: None)
        self._matcher = matcher
        self._own_matcher = matcher is None  # made here, so released here after a check
        self.rng = rng or random.SystemRandom()
        self.clock = clock
        self.limit_s = limit_s
        # what the screen shows: the challenge and the try, and the camera's preview
        self.progress: Callable[[dict[str, Any]], None] = lambda news: None
        self.preview: Callable[[FrameTap | None], None] = lambda tap: None

    def serves(self, step_type: str) -> bool:
        return step_type == "verify_face" and self.camera() is not None

    @property
    def matcher(self) -> Any:
        assert self._matcher is not None  # made at the start of each check (_check)
        return self._matcher

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        stop = threading.Event()
        tries = max(1, int(params.get("retries", 3)))
        photo_ref = _photo_ref(params.get("reference"), inputs)

        def run() -> None:
            try:
                outcome = self._check(self.photos.get(str(photo_ref)), tries, stop)
            except Exception:  # a failure of ours: the step fails, it never hangs
                log.exception("the face check failed")
                outcome = {"fail": "hardware_error", "recovery": "operator"}
            if not stop.is_set():
                finish(outcome)

        threading.Thread(target=run, daemon=True, name="face-check").start()
        return stop.set

    def wipe(self) -> None:
        pass  # nothing outlives a try: see _check

    def _release(self, models: Any) -> None:
        """The models go once the check is over: the screens after it need memory more
        than a face check needs the 0.1 s it takes to load them again."""
        from kiosk.memory import give_back

        models.close()
        if self._own_matcher:
            self._matcher = None
        give_back()

    # --- the check ------------------------------------------------------------------------

    def _check(self, document: bytes | None, tries: int, stop: threading.Event) -> dict[str, Any]:
        from kiosk.identity.matcher import FaceMatcher, FaceNotUsable, ModelMissing
        from kiosk.photo.faces import FaceModels

        if document is None:  # the flow's reference step kept no photo: nothing to compare
            log.error("the face check has no document photo to compare with")
            return {"fail": "invalid_data", "recovery": "operator"}
        # one set of face models for the document and the camera, made for this check
        # and closed after it: a second set would cost some 40 MB while both are held
        models = FaceModels(stream=True, with_mask=False)
        if self._own_matcher:
            self._matcher = FaceMatcher(models)
        try:
            reference = self.matcher.encode_document(document)
        except ModelMissing as exc:
            log.error("the face model is missing: %s", exc)
            self._release(models)
            return {"fail": "unsupported", "recovery": "operator"}
        except FaceNotUsable as exc:
            log.warning("the document photo shows no usable face (%s)", exc.code)
            self._release(models)
            return {"fail": "invalid_data", "recovery": "operator"}
        getter = self.camera()
        if getter is None:
            self._release(models)
            return {"fail": "device_not_ready", "recovery": "operator"}
        tap = FrameTap(getter)
        self.preview(tap)
        failed = "not_live"
        try:
            for attempt in range(1, tries + 1):
                outcome = self._try(tap, models, reference, attempt, tries, stop)
                if stop.is_set() or "result" in outcome:
                    return outcome
                failed = outcome["fail"]
                self.progress({"attempt": attempt, "of": tries, "state": "failed",
                               "reason": outcome["reason"]})  # fmt: skip
        finally:
            self.preview(None)
            tap.stop()
            self._release(models)
        return {"fail": failed, "recovery": "operator"}

    def _try(
        self,
        tap: FrameTap,
        models: Any,
        reference: np.ndarray,
        attempt: int,
        tries: int,
        stop: threading.Event,
    ) -> dict[str, Any]:
        """One challenge, from showing it to the comparison."""
        from kiosk.identity.liveness import Liveness, choose
        from kiosk.photo.measure import eye_ratio
        from kiosk.photo.pose import head_pose

        challenge = choose(self.rng)
        news = {"challenge": challenge, "attempt": attempt, "of": tries, "state": "waiting"}
        self.progress(news)
        self.citizen("verify_face.challenge", {"challenge": challenge})
        started = self.clock()
        check = Liveness(challenge, started)
        best: tuple[float, np.ndarray, Any] | None = None  # (face width, frame, face)
        seen = 0  # the tap's number of the last frame analysed
        while not stop.is_set():
            if self.clock() - started > self.limit_s:
                return {"fail": "not_live", "reason": "timeout"}
            frame = tap.newer_than(seen, 0.5)
            newest = tap.newest()
            if frame is None or newest is None:
                continue
            seen = newest[0]
            found = models.find(frame)
            face = found.faces[0] if found.faces else None
            height, width = frame.shape[:2]
            # the frame too: optical flow tells a tilted print from a turning head
            # better than the mesh does (liveness.py)
            points = face.points if face is not None else None
            verdict = check.feed(self.clock(), points, width, height, found.count, image=frame)
            if face is not None and found.count == 1:
                yaw, pitch, _ = head_pose(face.points, width, height)
                size = face.width
                frontal = abs(yaw) <= FRONTAL_DEG and abs(pitch) <= 2 * FRONTAL_DEG
                if frontal and eye_ratio(face) >= OPEN_EYES and (best is None or size > best[0]):
                    best = (size, frame, face)
            self.progress({**news, "progress": round(verdict.progress, 2), "hint": verdict.hint})
            if verdict.state == "failed":
                return {"fail": "not_live", "reason": verdict.reason or "not_live"}
            if verdict.state == "passed":
                break
            stop.wait(ANALYSE_EVERY_S / 2)
        if stop.is_set():
            return {"fail": "canceled", "reason": "canceled"}
        if best is None:  # live, but never once straight at the camera with open eyes
            return {"fail": "not_live", "reason": "face_camera"}
        _, frame, face = best
        probe = self.matcher.encode(frame, face)
        compared = self.matcher.compare(probe, reference)
        log.info("face check", extra={"attempt": attempt, "score": compared.score,
                                      "same": compared.same})  # fmt: skip
        if not compared.same:
            return {"fail": "face_mismatch", "reason": "face_mismatch"}
        return {"result": {"score": compared.score, "passed": True, "live": True}}


def _photo_ref(reference: Any, inputs: dict[str, Any]) -> str | None:
    """The first of the reference steps whose result names a photo."""
    for step in reference if isinstance(reference, list) else [reference]:
        result = inputs.get(str(step))
        if isinstance(result, dict) and result.get("photo_ref"):
            return str(result["photo_ref"])
    return None
