"""Makes the simulated citizen's frames (`drivers/camera/citizen/*.jpg`) from
`tests/data/faces/biden.jpg`: frontal, turned to either side, eyes closed, and the
ID card's chip photo. Run once from the repository's root; the output is committed:

    python -m tests.identity.make_citizen

It lives under tests/ because it imports kiosk/ (the face mesh, the pose) and
tests/ (the turned-portrait warp), which nothing under drivers/ may: the camera
simulator only reads the JPEGs it wrote, never this script.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from kiosk.photo import measure, pose
from kiosk.photo.faces import Face, FaceModels, Found
from tests.photo import warps

REPO = Path(__file__).resolve().parents[2]
HERE = REPO / "drivers" / "camera" / "citizen"
SOURCE = REPO / "tests" / "data" / "faces" / "biden.jpg"
TALL = 480  # frames' height in pixels: the simulator scales them to its picture
QUALITY = 85
STEPS = (8, 16, 24)  # degrees of yaw the turns pass through
CARD_SIZE = (102, 126)  # the chip photo's width and height in pixels
CARD_BYTES = 1024  # the chip's photo slot
# the eyes' whole openings (MediaPipe's eye contours), to paint shut
RIGHT_EYE_RING = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE_RING = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)


def found_in(image: np.ndarray, with_mask: bool = False) -> Found:
    models = FaceModels(with_mask=with_mask)
    try:
        found = models.find(image)
    finally:
        models.close()
    if not found.faces:
        raise SystemExit("no face found")
    return found


def face_of(image: np.ndarray) -> Face:
    return found_in(image).faces[0]


def angles(image: np.ndarray) -> tuple[float, float, float]:
    return pose.head_pose(face_of(image).points, image.shape[1], image.shape[0])


def frontal(image: np.ndarray) -> np.ndarray:
    """The portrait turned until it faces the camera: the source reads yaw +10.7,
    pitch +2.2, roll +11.0; one correction after the first turn leaves under 1."""
    points = face_of(image).points[:468, :2]
    turn = np.array([-a for a in angles(image)])
    best, best_error = image, 1e9
    for _ in range(2):
        out = warps.turn(image, points, *turn)
        error = np.array(angles(out))
        if np.abs(error).max() < best_error:
            best, best_error = out, float(np.abs(error).max())
        turn -= error
    return best


def eyes_shut(image: np.ndarray) -> np.ndarray:
    """Both eye openings filled with the skin just below them, feathered, with a
    dark lash line where the lids meet: a closed eye as the mesh sees one."""
    face = face_of(image)
    out = image.copy()
    for ring in (RIGHT_EYE_RING, LEFT_EYE_RING):
        outline = face.points[list(ring), :2].astype(np.float32)
        centre = outline.mean(axis=0)
        grown = centre + (outline - centre) * np.array([1.25, 1.9], np.float32)
        height = float(np.ptp(outline[:, 1]))
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(grown).astype(np.int32)], (255,))
        below = np.roll(image, -round(2.2 * height), axis=0)  # the skin under the eye
        below = cv2.GaussianBlur(below, (0, 0), 1.5)
        soft = cv2.GaussianBlur(mask, (0, 0), 2.0).astype(np.float32)[..., None] / 255
        out = (out * (1 - soft) + below * soft).astype(np.uint8)
        # the lid's edge: a thin dark curve through the eye's corners, a little low
        corner_out, corner_in = outline[0], outline[8]
        mid = (corner_out + corner_in) / 2 + np.array([0, 0.25 * height])
        curve = np.array([corner_out, mid, corner_in]).round().astype(np.int32)
        cv2.polylines(out, [curve], False, (40, 45, 60), 2, cv2.LINE_AA)
    return out


def card(image: np.ndarray) -> bytes:
    """The frontal face cropped like an ID card photo (the crown near the top, the
    chin at about three quarters down, a white background), as the best JPEG that
    fits the chip's slot: a 102 x 126 colour JPEG of the drapes behind him does
    not fit even at quality 10; on white, with Huffman tables optimised, it does."""
    found = found_in(image, with_mask=True)
    face = found.faces[0]
    assert found.mask is not None
    person = cv2.GaussianBlur(found.mask, (0, 0), 1.5)[..., None]
    image = (image * person + 255 * (1 - person)).astype(np.uint8)
    height = face.height
    chin = face.p(152)
    tall = 1.95 * height
    wide = tall * CARD_SIZE[0] / CARD_SIZE[1]
    x0 = float(face.centre[0] - wide / 2)
    y0 = float(chin[1] - 0.76 * tall)
    crop = image[int(y0) : int(y0 + tall), int(x0) : int(x0 + wide)]
    small = cv2.resize(crop, CARD_SIZE, interpolation=cv2.INTER_AREA)
    for quality in range(90, 5, -1):
        _, data = cv2.imencode(
            ".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1]
        )
        if len(data) <= CARD_BYTES:
            print(f"card.jpg: quality {quality}, {len(data)} bytes")
            return data.tobytes()
    raise SystemExit("card photo does not fit")


def save(name: str, image: np.ndarray) -> None:
    scale = TALL / image.shape[0]
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(HERE / name), small, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    face = face_of(small)
    yaw, pitch, roll = pose.head_pose(face.points, small.shape[1], small.shape[0])
    print(
        f"{name}: yaw {yaw:+.1f} pitch {pitch:+.1f} roll {roll:+.1f} "
        f"eye ratio {measure.eye_ratio(face):.3f}"
    )


def main() -> None:
    source = cv2.imread(str(SOURCE))
    if source is None:
        sys.exit(f"{SOURCE}: not found")
    front = frontal(source)
    save("front.jpg", front)
    points = face_of(front).points[:468, :2]
    for step in STEPS:  # turn_left: the citizen's own left, yaw > 0 (the image's right)
        save(f"left_{step:02d}.jpg", warps.turn(front, points, step, 0, 0))
        save(f"right_{step:02d}.jpg", warps.turn(front, points, -step, 0, 0))
    save("closed.jpg", eyes_shut(front))
    (HERE / "card.jpg").write_bytes(card(front))


if __name__ == "__main__":
    main()
