"""Faces, landmarks and the person mask, from the models inside the mediapipe wheel
(face detection, face mesh with iris, selfie segmentation). Nothing is downloaded:
the .tflite files ship in the package.

mediapipe takes seconds to import, so nothing here imports it until a photo is
first analysed. A `FaceModels` belongs to one thread (mediapipe's graphs are not
shared between threads); `stream=True` tracks landmarks from frame to frame, which
is faster at camera rate than finding the face anew in every frame.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

# mediapipe's C++ logging goes to stderr unless told otherwise; our log is the log.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

log = logging.getLogger("kiosk.photo.models")


@contextlib.contextmanager
def native_chatter_to_log() -> Iterator[None]:
    """TensorFlow Lite and absl write to file descriptor 2 while the graphs start,
    past Python's logging: catch it and pass it on to our log, at debug level."""
    with tempfile.TemporaryFile() as caught:
        saved = os.dup(2)
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            for line in caught.read().decode("utf-8", "replace").splitlines():
                log.debug("model: %s", line)


# Face mesh landmark indices (MediaPipe's 468-point topology, 478 with the irises).
FOREHEAD, CHIN = 10, 152
FACE_RIGHT, FACE_LEFT = 234, 454  # the outermost contour points, at the ear roots
NOSE_TIP = 1
RIGHT_EYE = (33, 160, 158, 133, 153, 144)  # outer, upper x2, inner, lower x2 (image left)
LEFT_EYE = (263, 387, 385, 362, 380, 373)  # the same on the other eye
RIGHT_IRIS, LEFT_IRIS = 468, 473
RIGHT_BROW, LEFT_BROW = (70, 63, 105, 66, 107), (300, 293, 334, 296, 336)
MOUTH_UPPER_INNER, MOUTH_LOWER_INNER = 13, 14
MOUTH_RIGHT, MOUTH_LEFT = 61, 291
INNER_LIPS = (
    78,
    191,
    80,
    81,
    82,
    13,
    312,
    311,
    310,
    415,
    308,
    324,
    318,
    402,
    317,
    14,
    87,
    178,
    88,
    95,
)
RIGHT_CHEEK, LEFT_CHEEK = (117, 118, 101, 36, 205), (346, 347, 330, 266, 425)


DETECT_EVERY = 3
# Counting people: the detector sees the picture at 192 px, where a bystander's face
# in a wide still is a dozen pixels; a still is also looked at in nine overlapping
# half-size tiles. The score from which a detection counts comes from the curve in
# bench/photo.py (crowds of 1-9 faces): 0.4-0.6 count alike, 0.7 starts to miss.
COUNT_SCORE = 0.5
TILES_ABOVE_PX = 480  # a smaller picture (a finished photo) shows any face to the whole pass
OVERLAP_SAME_FACE = 0.15  # of the smaller box: two detections of one face (a chin seen alone)
SEGMENT_EVERY = 2
ZOOM_FACE_PX = 200.0  # a small face is enlarged to about this width for the mesh


@dataclass(frozen=True)
class Face:
    points: np.ndarray  # (478, 3): x, y in pixels, z in pixels (same scale as x)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the landmarks

    def p(self, index: int) -> np.ndarray:
        return self.points[index, :2]

    @property
    def width(self) -> float:
        return float(np.linalg.norm(self.p(FACE_LEFT) - self.p(FACE_RIGHT)))

    @property
    def height(self) -> float:
        """Forehead (the mesh's top, near the hairline) to chin."""
        return float(np.linalg.norm(self.p(CHIN) - self.p(FOREHEAD)))

    @property
    def centre(self) -> np.ndarray:
        return (self.p(FACE_LEFT) + self.p(FACE_RIGHT) + self.p(FOREHEAD) + self.p(CHIN)) / 4


@dataclass(frozen=True)
class Found:
    faces: list[Face]  # largest first
    count: int  # people seen: the mesh's faces or the detector's, whichever is more
    mask: np.ndarray | None  # person probability 0..1, the image's size (float32)


def _mediapipe() -> Any:
    """mediapipe, imported when the first photo is analysed (it takes seconds). Its
    drawing helpers import matplotlib.pyplot for plots a kiosk never draws: about
    32 MB resident. Stand-ins take matplotlib's place during the import and go after
    it, so anything else that wants the real matplotlib still gets it."""
    import sys
    import types

    if "mediapipe" in sys.modules or "matplotlib" in sys.modules:
        import mediapipe

        return mediapipe
    stand_ins = {name: types.ModuleType(name) for name in ("matplotlib", "matplotlib.pyplot")}
    sys.modules.update(stand_ins)
    try:
        import mediapipe
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return mediapipe


class FaceModels:
    def __init__(self, stream: bool = False, with_mask: bool = True) -> None:
        self.stream = stream
        self.with_mask = with_mask
        self._mesh: Any = None
        self._detector: Any = None
        self._segmenter: Any = None
        self._zoom_mesh: Any = None
        self._warming = 2
        self._frames = 0
        self._detections: list[Any] | None = None
        self._mask: np.ndarray | None = None

    def _load(self) -> None:
        solutions = _mediapipe().solutions
        self._mesh = solutions.face_mesh.FaceMesh(
            static_image_mode=not self.stream,
            max_num_faces=4,
            refine_landmarks=True,  # the irises
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        # the full-range detector also sees a small face far behind the citizen
        self._detector = solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=COUNT_SCORE
        )
        if self.with_mask:
            self._segmenter = solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)

    def find(self, image: np.ndarray) -> Found:
        """`image` is BGR uint8, as OpenCV and the camera driver give it."""
        if self._warming > 0:  # the graphs speak while they load and first run
            self._warming -= 1
            with native_chatter_to_log():
                return self._find(image)
        return self._find(image)

    def _find(self, image: np.ndarray) -> Found:
        if self._mesh is None:
            self._load()
        height, width = image.shape[:2]
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        meshes = self._mesh.process(rgb).multi_face_landmarks or []
        faces = [_face(mesh, width, height) for mesh in meshes]
        # Bystanders are looked for in every frame of a still, in every third frame
        # of a stream: someone stepping behind the citizen stays for more than 0.3 s.
        self._frames += 1
        if not self.stream or self._frames % DETECT_EVERY == 1 or self._detections is None:
            self._detections = self._detector.process(rgb).detections or []
        detections = self._detections
        for detection in detections:
            small = self._zoomed(image, detection, faces)
            if small is not None:
                faces.append(small)
        people = len(detections)
        if not self.stream and max(height, width) > TILES_ABOVE_PX:
            people = len(self._people(rgb, detections))
        faces.sort(key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
        # the person's outline moves little in a tenth of a second: a stream reuses it
        # for one frame (a still always gets its own)
        mask = self._mask
        due = not self.stream or self._frames % SEGMENT_EVERY == 1
        if self._segmenter is not None and (due or mask is None or mask.shape != image.shape[:2]):
            self._mask = self._segmenter.process(rgb).segmentation_mask.astype(np.float32)
        return Found(faces, max(len(faces), people), self._mask)

    def _people(self, rgb: np.ndarray, whole: list[Any]) -> list[tuple[float, float, float, float]]:
        """Every face in a still: `whole` (the detections in the whole picture) and
        those in nine overlapping tiles of half its size, one box per face (the
        larger kept where two overlap)."""
        height, width = rgb.shape[:2]
        boxes = [_box(d, (0, 0, width, height)) for d in whole]
        for y in (0, height // 4, height // 2):
            for x in (0, width // 4, width // 2):
                region = (x, y, x + width // 2, y + height // 2)
                tile = np.ascontiguousarray(rgb[y : region[3], x : region[2]])
                boxes += [_box(d, region) for d in self._detector.process(tile).detections or []]
        kept: list[tuple[float, float, float, float]] = []
        for box in sorted(boxes, key=lambda b: -b[2] * b[3]):
            if all(_overlap(box, other) <= OVERLAP_SAME_FACE for other in kept):
                kept.append(box)
        return kept

    def _zoomed(self, image: np.ndarray, detection: Any, known: list[Face]) -> Face | None:
        """A face the detector saw but the mesh did not (too small for it): the mesh
        again on that part of the picture, enlarged; its landmarks mapped back."""
        height, width = image.shape[:2]
        box = detection.location_data.relative_bounding_box
        x, y = box.xmin * width, box.ymin * height
        w, h = box.width * width, box.height * height
        centre = (x + w / 2, y + h / 2)
        if w <= 0 or any(
            f.box[0] <= centre[0] <= f.box[2] and f.box[1] <= centre[1] <= f.box[3] for f in known
        ):
            return None
        scale = ZOOM_FACE_PX / w
        if scale < 1.5:  # not small: the mesh would have found it, were it a face
            return None
        pad = 0.8 * max(w, h)
        x0, y0 = int(max(0, x - pad)), int(max(0, y - pad))
        x1, y1 = int(min(width, x + w + pad)), int(min(height, y + h + pad))
        part = cv2.resize(
            image[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC
        )
        rgb = cv2.cvtColor(part, cv2.COLOR_BGR2RGB)
        if self._zoom_mesh is None:
            mp = _mediapipe()

            with native_chatter_to_log():
                self._zoom_mesh = mp.solutions.face_mesh.FaceMesh(
                    static_image_mode=True, max_num_faces=1, refine_landmarks=True
                )
                meshes = self._zoom_mesh.process(rgb).multi_face_landmarks or []
        else:
            meshes = self._zoom_mesh.process(rgb).multi_face_landmarks or []
        if not meshes:
            return None
        found = _face(meshes[0], part.shape[1], part.shape[0])
        points = found.points / scale
        points[:, 0] += x0
        points[:, 1] += y0
        return _boxed(points)

    def close(self) -> None:
        for model in (self._mesh, self._detector, self._segmenter, self._zoom_mesh):
            if model is not None:
                model.close()
        self._mesh = self._detector = self._segmenter = self._zoom_mesh = None


def _box(detection: Any, region: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """A detection's (x, y, w, h) in the picture, from its box relative to `region`."""
    x0, y0, x1, y1 = region
    box = detection.location_data.relative_bounding_box
    w, h = x1 - x0, y1 - y0
    return x0 + box.xmin * w, y0 + box.ymin * h, box.width * w, box.height * h


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Shared area of two (x, y, w, h) boxes over the smaller one's."""
    across = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    down = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return across * down / max(1e-6, min(a[2] * a[3], b[2] * b[3]))


def _face(mesh: Any, width: int, height: int) -> Face:
    points = np.array([(p.x * width, p.y * height, p.z * width) for p in mesh.landmark])
    return _boxed(points.astype(np.float32))


def _boxed(points: np.ndarray) -> Face:
    (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    return Face(points, (int(x0), int(y0), int(x1), int(y1)))
