"""Faces at known poses, turned within their own portrait: the whole picture (hair,
ears, neck, background) is given a depth, turned about the head's centre by a known
yaw, pitch and roll, and drawn again through the same pinhole camera. What the pose
estimate says of the turned picture, less what it said of the original, against the
turn, is the estimate's error on a change of pose.

The depth is not the landmarker's: the face's is MediaPipe's canonical 3-D model
fitted to the portrait (each landmark keeps its place in the picture and takes the
model's depth there), and beyond the face it eases back to a plane through the
head's centre, so hair and background turn with the head. The landmarker sees a
whole photograph rather than a face on a grey oval (tests/photo/renders.py), which
is what it was trained on. A turned portrait's truth is relative: the original's
own pose is unknown, so the measure is the change the estimate reads.

    python -m tests.photo.warps OUTDIR      writes a few turned portraits to look at.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from kiosk.photo import pose

PIVOT_CM = 9.0  # a neck's turn pivots this far behind the nose tip, roughly at the ears
EASE = 0.35  # face widths over which the depth beyond the face eases to the pivot's


def depth_map(image_size: tuple[int, int], points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(depth of every pixel in cm, the head's pivot in the camera's cm) for a portrait
    of `image_size` (width, height) whose 468 landmarks are `points`."""
    width, height = image_size
    rotation, translation = pose.fit(points, width, height)
    camera_points = (rotation @ pose.canonical().T).T + translation
    depths = camera_points[:, 2]
    screen = points[:468, :2].astype(np.float64)

    depth = np.zeros((height, width), np.float32)
    inside = np.zeros((height, width), np.uint8)
    for triangle in pose.triangles():
        _fill(depth, inside, screen[triangle], depths[triangle])

    nose = camera_points[1]
    pivot_depth = float(nose[2] + PIVOT_CM)
    pivot = translation / translation[2] * pivot_depth

    # beyond the face: the nearest face pixel's depth, easing back to the pivot's
    distance, labels = cv2.distanceTransformWithLabels(
        (inside == 0).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(inside)
    edge_depth = np.zeros(int(labels.max()) + 1, np.float32)
    edge_depth[labels[ys, xs]] = depth[ys, xs]
    nearest = edge_depth[labels]
    face_width = float(np.ptp(screen[:, 0]))
    ease = np.clip(distance / (EASE * face_width), 0.0, 1.0)
    ease = ease * ease * (3 - 2 * ease)  # smooth at both ends
    outside = nearest + (pivot_depth - nearest) * ease
    return np.where(inside > 0, depth, outside).astype(np.float32), pivot


def _fill(depth: np.ndarray, inside: np.ndarray, corners: np.ndarray, z: np.ndarray) -> None:
    """Rasterise one triangle's depth by barycentric interpolation (nearest wins)."""
    h, w = depth.shape
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    ys, xs = np.mgrid[y0:y1, x0:x1]
    (ax, ay), (bx, by), (cx, cy) = corners
    area = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
    if abs(area) < 1e-9:
        return
    wb = ((xs - ax) * (cy - ay) - (cx - ax) * (ys - ay)) / area
    wc = ((bx - ax) * (ys - ay) - (xs - ax) * (by - ay)) / area
    wa = 1 - wb - wc
    hit = (wa >= -0.01) & (wb >= -0.01) & (wc >= -0.01)
    value = wa * z[0] + wb * z[1] + wc * z[2]
    region, seen = depth[y0:y1, x0:x1], inside[y0:y1, x0:x1]
    nearer = hit & ((seen == 0) | (value < region))
    region[nearer] = value[nearer]
    seen[hit] = 1


def turn(
    image: np.ndarray, points: np.ndarray, yaw: float, pitch: float, roll: float
) -> np.ndarray:
    """The portrait with its head turned by (yaw, pitch, roll) degrees about its
    pivot, as the same camera would see it (the estimator's camera: one image width
    of focal length)."""
    height, width = image.shape[:2]
    depth, pivot = depth_map((width, height), points)
    matrix = pose.camera(width, height)
    f, cx, cy = matrix[0, 0], matrix[0, 2], matrix[1, 2]
    # a turn of the head by these angles, in the camera's axes: the rotation that
    # takes a frontal head to (yaw, pitch, roll)
    spin = pose.rotation_of(yaw, pitch, roll) @ pose.rotation_of(0, 0, 0).T

    # each output pixel's source, by fixed-point iteration of the forward map
    # (source pixel -> its 3-D point -> turned -> projected)
    target = np.stack(np.meshgrid(np.arange(width), np.arange(height)), axis=-1).astype(np.float32)
    source = target.copy()
    for _ in range(12):
        z = cv2.remap(
            depth, source[..., 0], source[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        x = (source[..., 0] - cx) / f * z
        y = (source[..., 1] - cy) / f * z
        space = np.stack([x, y, z], axis=-1) - pivot
        turned = space @ spin.T + pivot
        forward = np.stack(
            [turned[..., 0] / turned[..., 2] * f + cx, turned[..., 1] / turned[..., 2] * f + cy],
            axis=-1,
        )
        source = (source + (target - forward)).astype(np.float32)
    return cv2.remap(
        image, source[..., 0], source[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


def main(out: Path) -> None:
    from tests.photo import pose_error, renders

    out.mkdir(parents=True, exist_ok=True)
    for name, image in pose_error.faces().items():
        points = renders.landmarks(image)
        for angles in [(0, 0, 0), (20, 0, 0), (-20, 0, 0), (0, 15, 0), (0, -15, 0), (-10, 10, 8)]:
            label = "_".join(str(a) for a in angles)
            cv2.imwrite(str(out / f"{name}_{label}.jpg"), turn(image, points, *angles))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
