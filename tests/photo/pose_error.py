"""How far the pose estimate is from the truth, one axis at a time, -20 to +20 degrees,
on every face two ways:

- `warp`: the whole portrait turned by a known angle (tests/photo/warps.py); the
  truth is the turn, read as the change from the original's estimate (the
  original's own pose is unknown). The landmarker sees a photograph.
- `render`: the face drawn on the 3-D model at a known pose (tests/photo/renders.py);
  the truth is absolute, but the landmarker sees a face on a grey oval, without
  hair or neck, and its level reading moves a few degrees for that alone.

The defect suite's two faces (`TUNING`) are the ones `pose.YAW_GAIN` was fitted on;
the evaluation set's three (`evaluation.SOURCES`) were never used to fit anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tests.photo import defects, evaluation, renders, warps

ANGLES = range(-20, 21, 5)
AXES = ("yaw", "pitch", "roll")
TUNING = tuple(defects.sources())
METHODS = ("warp", "render")


@dataclass(frozen=True)
class Reading:
    face: str
    method: str  # "warp" or "render"
    axis: int  # index into AXES
    truth: float  # degrees
    read: float  # the estimate on that axis, without the yaw gain (a warp's: less the original's)


def faces() -> dict[str, np.ndarray]:
    found = dict(defects.sources())
    found.update({name: evaluation.load(name) for name in evaluation.SOURCES})
    return found


def readings() -> list[Reading]:
    """Every face turned and drawn at each angle on each axis, and what the estimate
    (with no yaw gain) read of it."""
    from kiosk.photo import pose
    from kiosk.photo.faces import FaceModels

    found: list[Reading] = []
    models = FaceModels(with_mask=False)

    def estimate(image: np.ndarray) -> tuple[float, float, float] | None:
        seen = models.find(image)
        if not seen.faces:
            return None
        h, w = image.shape[:2]
        return pose.head_pose(seen.faces[0].points, w, h, yaw_gain=1.0)

    try:
        for name, image in faces().items():
            points = models.find(image).faces[0].points
            base = estimate(image)
            assert base is not None
            texture = points[:468, :2].astype(np.float32)
            for axis in range(3):
                for angle in ANGLES:
                    truth = [0.0, 0.0, 0.0]
                    truth[axis] = angle
                    if angle:
                        turned = estimate(warps.turn(image, points, *truth))
                        if turned is not None:
                            read = turned[axis] - base[axis]
                            found.append(Reading(name, "warp", axis, angle, read))
                    drawn = estimate(renders.render(image, texture, *truth))
                    if drawn is not None:
                        found.append(Reading(name, "render", axis, angle, drawn[axis]))
    finally:
        models.close()
    return found


def error(reading: Reading, yaw_gain: float) -> float:
    gain = yaw_gain if AXES[reading.axis] == "yaw" else 1.0
    return reading.read * gain - reading.truth


def fitted_yaw_gain(found: list[Reading]) -> float:
    """The gain that best maps the yaw read on the tuning faces' turned portraits
    onto the turn (least squares through zero)."""
    pairs = [
        (r.read, r.truth)
        for r in found
        if r.method == "warp" and r.face in TUNING and AXES[r.axis] == "yaw"
    ]
    read = np.array([p[0] for p in pairs])
    truth = np.array([p[1] for p in pairs])
    return float((read * truth).sum() / (read * read).sum())


def summary(found: list[Reading], yaw_gain: float | None = None) -> dict:
    """Per method, per axis, over all faces and over the held-out faces alone: the
    90th percentile and largest error within +-10 degrees, the largest within +-20."""
    from kiosk.photo import pose

    gain = pose.YAW_GAIN if yaw_gain is None else yaw_gain
    out: dict = {
        "yaw_gain": gain,
        "yaw_gain_fitted_on_tuning_faces": round(fitted_yaw_gain(found), 3),
    }
    for method in METHODS:
        for group, names in (("all", None), ("held_out", evaluation.SOURCES)):
            block = out.setdefault(method, {}).setdefault(group, {})
            for index, axis in enumerate(AXES):
                chosen = [
                    r
                    for r in found
                    if r.method == method and r.axis == index and (names is None or r.face in names)
                ]
                near = [abs(error(r, gain)) for r in chosen if abs(r.truth) <= 10]
                every = [abs(error(r, gain)) for r in chosen]
                block[axis] = {
                    "readings": len(chosen),
                    "p90_within_10deg": round(float(np.percentile(near, 90)), 2),
                    "max_within_10deg": round(max(near), 2),
                    "max_within_20deg": round(max(every), 2),
                    "mean_abs_within_20deg": round(float(np.mean(every)), 2),
                }
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(summary(readings()), indent=1))
