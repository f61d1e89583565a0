"""Faces at known poses: a frontal portrait's face, pasted as a texture on MediaPipe's
canonical 3-D face model, turned by a known yaw, pitch and roll and drawn through a
pinhole camera. What the pose estimate says of the drawing, against the angles it
was drawn at, is the estimate's error.

The texture's coordinates are the portrait's own landmarks, so the drawing keeps
the person's skin, eyes and mouth on the model's shape. The head's outline beyond
the mesh (hair, ears) is not drawn: the face sits on an even grey oval, enough for
the detector. The camera is not the one the estimator assumes: its focal length is
1.3 image widths (the estimator guesses 1), so the error includes that guess.

    python -m tests.photo.renders OUTDIR    writes a few renders to look at.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from kiosk.photo import pose

FOCAL = 1.3  # image widths: a narrower lens than the estimator assumes
DISTANCE_CM = 55.0  # an arm's length: a citizen in front of the kiosk


def landmarks(image: np.ndarray) -> np.ndarray:
    from kiosk.photo.faces import FaceModels

    models = FaceModels(with_mask=False)
    try:
        found = models.find(image)
    finally:
        models.close()
    if not found.faces:
        raise ValueError("no face in the source portrait")
    return found.faces[0].points[:468, :2].astype(np.float32)


def render(
    image: np.ndarray,
    texture_points: np.ndarray,
    yaw: float,
    pitch: float,
    roll: float,
    size: tuple[int, int] = (640, 480),
    face_share: float = 0.42,
) -> np.ndarray:
    """The portrait's face on the model at (yaw, pitch, roll), in a `size` frame
    whose height the face (forehead to chin) fills by `face_share`."""
    width, height = size
    model = pose.canonical()
    matrix = pose.camera(width, height, FOCAL * width)
    # the distance that makes the face the wanted share of the frame
    face_cm = float(np.linalg.norm(model[10] - model[152]))
    distance = matrix[0, 0] * face_cm / (face_share * height)
    turned = (pose.rotation_of(yaw, pitch, roll) @ model.T).T + np.array([0.0, 0.0, distance])
    projected = (matrix @ turned.T).T
    screen = (projected[:, :2] / projected[:, 2:3]).astype(np.float32)

    frame = np.full((height, width, 3), 200, np.uint8)
    _head(frame, screen)
    order = np.argsort(-turned[pose.triangles()].mean(axis=1)[:, 2])  # far ones first
    for triangle in pose.triangles()[order]:
        target = screen[triangle]
        # a triangle turned away from the camera is not drawn
        edge_a, edge_b = target[1] - target[0], target[2] - target[0]
        if edge_a[0] * edge_b[1] - edge_a[1] * edge_b[0] >= 0:
            continue
        _paste(frame, image, texture_points[triangle], target)
    return frame


def _head(frame: np.ndarray, screen: np.ndarray) -> None:
    """An even oval behind the face, a little larger than it: a head's outline."""
    (x0, y0), (x1, y1) = screen.min(axis=0), screen.max(axis=0)
    centre = (int((x0 + x1) / 2), int((y0 + y1) / 2 - 0.08 * (y1 - y0)))
    axes = (int(0.62 * (x1 - x0)), int(0.66 * (y1 - y0)))
    cv2.ellipse(frame, centre, axes, 0, 0, 360, (70, 80, 95), -1, cv2.LINE_AA)


def _paste(frame: np.ndarray, source: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
    h, w = frame.shape[:2]
    x0, y0 = np.floor(dst.min(axis=0)).astype(int)
    x1, y1 = np.ceil(dst.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    local = (dst - [x0, y0]).astype(np.float32)
    warp = cv2.getAffineTransform(src.astype(np.float32), local)
    patch = cv2.warpAffine(
        source, warp, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    # a touch wider than the triangle, so that no seam shows between neighbours
    cv2.fillConvexPoly(mask, np.round(local * 4).astype(np.int32), (255,), cv2.LINE_AA, 2)
    region = frame[y0:y1, x0:x1]
    region[mask > 0] = patch[mask > 0]


def main(out: Path) -> None:
    from tests.photo import defects

    out.mkdir(parents=True, exist_ok=True)
    for name, image in defects.sources().items():
        points = landmarks(image)
        for angles in [(0, 0, 0), (20, 0, 0), (0, 15, 0), (0, -15, 0), (-10, 10, 8)]:
            label = "_".join(str(a) for a in angles)
            cv2.imwrite(str(out / f"{name}_{label}.png"), render(image, points, *angles))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
