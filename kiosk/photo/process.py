"""A still to a spec-exact photo: level the eyes, crop and scale from the landmarks,
check the background and replace it where it is not the spec's even colour, encode
a JPEG inside the spec's file-size window with its dpi, then measure the result
against the spec again and refuse it, with reasons, if it does not fit.

Nothing is invented: a face that would need more than the spec's upscale limit is
refused as too small, and a head that is not wholly in the picture is refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from kiosk.photo import checks, crop, measure
from kiosk.photo import faces as lm
from kiosk.photo.faces import Face, FaceModels
from kiosk.photo.problems import Problem
from kiosk.photo.spec import PhotoSpec
from kiosk.photo.verdict import decide

FEATHER_PX = 1.2
MASK_EDGE = (0.25, 0.75)  # the mask's edge, softened so hair is not cut out with scissors


@dataclass
class Made:
    problems: list[Problem]
    jpeg: bytes | None = None
    image: np.ndarray | None = None  # the output, BGR
    background_replaced: bool = False
    quality: int | None = None
    measures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.jpeg is not None and not self.problems


def make(image: np.ndarray, spec: PhotoSpec, models: FaceModels | None = None) -> Made:
    models = models or FaceModels()
    found = models.find(image)
    first = checks.analyse(image, found, spec)
    verdict = decide(first, spec, "still")
    if not verdict.ok:
        return Made(verdict.refused, measures=first.measures)
    face = found.faces[0]
    level = _levelling(face)
    face = _moved(face, level)
    mask = found.mask
    if mask is not None:
        mask = cv2.warpAffine(mask, level, (image.shape[1], image.shape[0]))
    crown = measure.crown_y(face, mask)
    plan = crop.plan(face, crown, spec)
    transform = plan.matrix() @ np.vstack([level, [0, 0, 1]])
    size = (spec.width_px, spec.height_px)
    interpolation = cv2.INTER_AREA if plan.scale < 1 else cv2.INTER_CUBIC
    # room above the crown past the top edge repeats the top row: background, which
    # is replaced below unless it is already the spec's even colour
    out = cv2.warpAffine(
        image, transform, size, flags=interpolation, borderMode=cv2.BORDER_REPLICATE
    )
    replaced = False
    if mask is not None:
        out_mask = cv2.warpAffine(mask, transform, size, flags=cv2.INTER_LINEAR)
        replaced = _needs_new_background(out, out_mask, spec)
        if replaced:
            out = _replace_background(out, out_mask, spec)
    jpeg, quality = encode(out, spec)
    if jpeg is None:
        return Made([Problem("file_size")], image=out, background_replaced=replaced)
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    problems, measures = remeasure(decoded, spec, models)
    measures["upscale"] = plan.scale
    return Made(problems, jpeg, decoded, replaced, quality, measures)


def _levelling(face: Face) -> np.ndarray:
    """The rotation about the eyes' middle that makes the eye line level."""
    right, left = face.p(lm.RIGHT_IRIS), face.p(lm.LEFT_IRIS)
    angle = float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))
    centre = (float((right[0] + left[0]) / 2), float((right[1] + left[1]) / 2))
    return cv2.getRotationMatrix2D(centre, angle, 1.0)


def _moved(face: Face, matrix: np.ndarray) -> Face:
    points = face.points.copy()
    points[:, :2] = points[:, :2] @ matrix[:, :2].T + matrix[:, 2]
    (x0, y0), (x1, y1) = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
    return Face(points, (int(x0), int(y0), int(x1), int(y1)))


def _needs_new_background(out: np.ndarray, mask: np.ndarray, spec: PhotoSpec) -> bool:
    seen = measure.background(out, mask)
    if seen is None:
        return False
    spread, colour = seen
    distance = float(np.linalg.norm(colour - np.array(spec.background, np.float32)))
    uniform = (
        spec.rule("background_not_uniform").number("max_std")
        if spec.has("background_not_uniform")
        else 14.0
    )
    near = (
        spec.rule("background_wrong_colour").number("max_distance")
        if spec.has("background_wrong_colour")
        else 30.0
    )
    return spread > uniform or distance > near


def _replace_background(out: np.ndarray, mask: np.ndarray, spec: PhotoSpec) -> np.ndarray:
    """The spec's colour behind the person, blended through the soft mask so the
    hair's edge stays hair."""
    # the mask's middle range is the hair's edge: stretched, so that what is surely
    # background goes entirely, what is surely the person stays entirely
    surely = np.clip((mask - MASK_EDGE[0]) / (MASK_EDGE[1] - MASK_EDGE[0]), 0, 1)
    alpha = cv2.GaussianBlur(surely, (0, 0), FEATHER_PX)[..., None]
    backdrop = np.empty_like(out)
    backdrop[:] = spec.background
    blended = out.astype(np.float32) * alpha + backdrop.astype(np.float32) * (1 - alpha)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def encode(image: np.ndarray, spec: PhotoSpec) -> tuple[bytes | None, int | None]:
    """The best quality whose file fits the spec's window, with the dpi written."""
    low, high = spec.file_kb[0] * 1024, spec.file_kb[1] * 1024
    picture = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    for subsampling in (2, 0):  # 4:2:0 first; 4:4:4 makes a plain picture larger
        for quality in range(95, 29, -5):
            buffer = io.BytesIO()
            picture.save(
                buffer,
                "JPEG",
                quality=quality,
                dpi=(spec.dpi, spec.dpi),
                subsampling=subsampling,
                optimize=True,
            )
            data = buffer.getvalue()
            if len(data) <= high:
                if len(data) >= low:
                    return data, quality
                break  # only smaller from here: try the other subsampling
    return None, None


def remeasure(
    image: np.ndarray, spec: PhotoSpec, models: FaceModels
) -> tuple[list[Problem], dict[str, float]]:
    """The output, measured as the document office would: its geometry against the
    spec's windows, and every rule of the spec."""
    found = models.find(image)
    result = checks.analyse(image, found, spec, geometry=False)
    problems = decide(result, spec, "output").refused
    if found.faces:
        face = found.faces[0]
        problems += crop.geometry(face, measure.crown_y(face, found.mask), spec)
    return problems, result.measures
