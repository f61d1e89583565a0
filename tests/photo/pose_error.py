"""How far the pose estimate is from the truth: each face drawn on the 3-D model at
known angles (tests/photo/renders.py), one axis at a time, -20 to +20 degrees, and
the estimate of the drawing compared with the angles it was drawn at."""

from __future__ import annotations

import numpy as np

from tests.photo import defects, evaluation, renders

ANGLES = range(-20, 21, 5)
AXES = ("yaw", "pitch", "roll")


def faces() -> dict[str, np.ndarray]:
    found = dict(defects.sources())
    found.update({name: evaluation.load(name) for name in evaluation.SOURCES})
    return found


def errors() -> dict[str, list[tuple[int, float]]]:
    """Per axis, (true angle, estimate - truth) over every face and angle."""
    from kiosk.photo import pose
    from kiosk.photo.faces import FaceModels

    found: dict[str, list[tuple[int, float]]] = {axis: [] for axis in AXES}
    models = FaceModels(with_mask=False)
    try:
        for image in faces().values():
            points = renders.landmarks(image)
            for index, axis in enumerate(AXES):
                for angle in ANGLES:
                    truth = [0.0, 0.0, 0.0]
                    truth[index] = angle
                    drawn = renders.render(image, points, *truth)
                    seen = models.find(drawn)
                    if not seen.faces:
                        continue
                    h, w = drawn.shape[:2]
                    estimate = pose.head_pose(seen.faces[0].points, w, h)[index]
                    found[axis].append((angle, estimate - angle))
    finally:
        models.close()
    return found


def summary(found: dict[str, list[tuple[int, float]]]) -> dict[str, dict[str, float]]:
    out = {}
    for axis, pairs in found.items():
        near = [abs(e) for a, e in pairs if abs(a) <= 10]
        every = [abs(e) for _, e in pairs]
        out[axis] = {
            "renders": len(pairs),
            "max_within_10deg": round(max(near), 2),
            "p90_within_10deg": round(float(np.percentile(near, 90)), 2),
            "max_within_20deg": round(max(every), 2),
            "mean_abs_within_20deg": round(float(np.mean(every)), 2),
        }
    return out
