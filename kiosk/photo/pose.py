"""Head pose (yaw, pitch, roll) from the face mesh's landmarks against MediaPipe's
canonical 3-D face model, by a perspective-n-point fit (OpenCV's solvePnP).

The model is the one MediaPipe's own face-geometry pipeline fits (`models/`, with
its Apache 2.0 licence): 468 vertices in centimetres, x to the face's left (the
image's right), y up, z towards the viewer. The fit uses the 33 landmarks that
pipeline weighs in its Procrustes step: eye corners, nose, cheekbones, brow, the
forehead's top; points on the lips and the jaw line move with expression and are
left out.

Pose is stated against the line of sight, not the camera's axis: a citizen off the
image's centre who looks into the lens faces the camera (ICAO 9303's frontal). The
camera's focal length is unknown for a picture from elsewhere; one image width is
a webcam's (about 53 degrees across), and at an arm's length the angles barely
depend on it (bench/photo.py measures the error on renders at known poses).

The face mesh places the landmarks of a turned face as if it were turned less (a
landmarker's pull towards the average, frontal face): on portraits turned by known
angles (tests/photo/warps.py) the fit reads about 0.78 of a yaw and the whole of a
pitch or roll. `YAW_GAIN` undoes that; it was fitted on the two defect-suite faces
and checked on three faces it never saw (bench/photo.py, pose_error).

Signs: yaw > 0 turns the face to the image's right, pitch > 0 lifts the chin,
roll > 0 tilts the head clockwise as the image shows it.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import cv2
import numpy as np

MODELS = Path(__file__).with_name("models")
MODEL_FILE = MODELS / "canonical_face_model.obj"
BASIS_FILE = MODELS / "geometry_pipeline_metadata_landmarks.pbtxt"
YAW_GAIN = 1.29  # the landmarker's yaw under-reading, undone (see above)


@cache
def canonical() -> np.ndarray:
    """The model's 468 vertices in the camera's axes (x right, y down, z away)."""
    vertices = [
        [float(v) for v in line.split()[1:4]]
        for line in MODEL_FILE.read_text().splitlines()
        if line.startswith("v ")
    ]
    model = np.array(vertices, np.float64)
    return model * np.array([1.0, -1.0, -1.0])


@cache
def triangles() -> np.ndarray:
    """The model's faces (898 triangles), as vertex indices."""
    faces = []
    for line in MODEL_FILE.read_text().splitlines():
        if line.startswith("f "):
            faces.append([int(corner.split("/")[0]) - 1 for corner in line.split()[1:4]])
    return np.array(faces, np.int32)


@cache
def basis() -> tuple[int, ...]:
    """The landmarks the fit uses (MediaPipe's Procrustes basis)."""
    found = re.findall(r"landmark_id:\s*(\d+)", BASIS_FILE.read_text())
    return tuple(int(n) for n in found)


def camera(width: int, height: int, focal: float | None = None) -> np.ndarray:
    f = focal if focal is not None else float(max(width, height))
    return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float64)


def fit(points: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(rotation matrix, translation) taking the model into the camera, from the
    landmarks' pixel positions (N x 2 or N x 3; only x and y are used)."""
    ids = list(basis())
    model = canonical()[ids]
    image = np.ascontiguousarray(points[ids, :2], np.float64)
    matrix = camera(width, height)
    no_distortion = np.zeros(4)
    ok, rvec, tvec = cv2.solvePnP(model, image, matrix, no_distortion, flags=cv2.SOLVEPNP_SQPNP)
    if ok:  # refined: SQPnP's answer is the global optimum of an algebraic error
        rvec, tvec = cv2.solvePnPRefineLM(model, image, matrix, no_distortion, rvec, tvec)
    rotation, _ = cv2.Rodrigues(rvec)
    return rotation, tvec.reshape(3)


def towards_viewer(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """The rotation as seen along the line of sight to the face."""
    sight = translation / max(1e-9, float(np.linalg.norm(translation)))
    axis = np.cross([0.0, 0.0, 1.0], sight)
    angle = math.asin(min(1.0, float(np.linalg.norm(axis))))
    if angle < 1e-9:
        return rotation
    turn, _ = cv2.Rodrigues(axis / np.linalg.norm(axis) * angle)
    return turn.T @ rotation


def angles(rotation: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of a model-to-camera rotation, read as
    R = Rz(roll) . Ry(yaw) . Rx(pitch) (the head nods within its turn, and the
    turned head tilts)."""
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, -float(rotation[2, 0])))))
    pitch = math.degrees(math.atan2(float(rotation[2, 1]), float(rotation[2, 2])))
    roll = math.degrees(math.atan2(float(rotation[1, 0]), float(rotation[0, 0])))
    # the camera looks along +z and the model's face along -z: a level face reads
    # pitch 0; a lifted chin turns the face's forward axis up (negative y)
    return -yaw, -pitch, roll


def rotation_of(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """The model-to-camera rotation of a head at these angles (the inverse of
    `angles`), for renders at a known pose."""
    y, p, r = (math.radians(a) for a in (-yaw, -pitch, roll))
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


def head_pose(
    points: np.ndarray, width: int, height: int, yaw_gain: float = YAW_GAIN
) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of the face whose landmarks these are."""
    rotation, translation = fit(points, width, height)
    yaw, pitch, roll = angles(towards_viewer(rotation, translation))
    return yaw * yaw_gain, pitch, roll
