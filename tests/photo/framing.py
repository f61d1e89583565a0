"""A portrait as the kiosk's camera sees a citizen standing in the on-screen guide:
the face scaled and moved to the guide's box (tests and benchmarks of the live path)."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.photo.checks import target_box


def framed(
    image: np.ndarray, face_box: tuple[float, float, float, float], width: int, height: int
) -> np.ndarray:
    x0, y0, x1, y1 = face_box
    guide = target_box(width, height)
    scale = (guide[3] - guide[1]) / (y1 - y0)
    shift_x = width / 2 - (x0 + x1) / 2 * scale
    shift_y = (guide[1] + guide[3]) / 2 - (y0 + y1) / 2 * scale
    matrix = np.array([[scale, 0, shift_x], [0, scale, shift_y]])
    return cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


def face_box(image: np.ndarray) -> tuple[float, float, float, float]:
    """The face from the landmarks' extent (the pipeline's own models)."""
    from kiosk.photo.faces import FaceModels

    models = FaceModels(with_mask=False)
    try:
        x0, y0, x1, y1 = models.find(image).faces[0].box
    finally:
        models.close()
    return float(x0), float(y0), float(x1), float(y1)
