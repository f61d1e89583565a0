"""What can be measured of a face in an image: pose, eyes, mouth, forehead and ears,
glasses, sharpness, exposure, lighting, background, and where the head is.

Plain numbers from landmarks, pixels and the person mask; the spec table decides
what they mean (checks.py). Colours are judged against the citizen's own skin,
sampled on the cheeks, never against a fixed skin tone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.photo import faces as lm
from kiosk.photo.faces import Face
from kiosk.photo.pose import head_pose

# Crown above the chin, in face heights (chin to the mesh's forehead top): the
# person mask's top says where the hair ends; anthropometry bounds it (a skull's
# top sits 1.2-1.4 face heights above the chin, hair adds some), so a mask that
# strays cannot put the crown somewhere no head has it.
CROWN_RANGE = (1.15, 1.75)
CROWN_DEFAULT = 1.30


@dataclass(frozen=True)
class Skin:
    """The citizen's skin colour, from the cheeks: chroma mean and spread in Lab."""

    chroma: np.ndarray  # (a, b) mean
    inverse_cov: np.ndarray
    lightness: float

    def mask(self, lab_pixels: np.ndarray) -> np.ndarray:
        """Which of these Lab pixels (N x 3) are this skin."""
        delta = lab_pixels[:, 1:3].astype(np.float32) - self.chroma
        distance = np.einsum("ni,ij,nj->n", delta, self.inverse_cov, delta)
        lightness = lab_pixels[:, 0].astype(np.float32)
        # dark hair shares the chroma of skin in many faces: lightness tells them apart
        return np.asarray((distance < 9.0) & (lightness > 0.55 * self.lightness))

    def share(self, lab_pixels: np.ndarray) -> float:
        """How many of these Lab pixels (N x 3) are this skin."""
        if len(lab_pixels) == 0:
            return 0.0
        return float(self.mask(lab_pixels).mean())


def polygon_pixels(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The pixels inside a polygon (worked out within its bounding box only)."""
    h, w = image.shape[:2]
    corners = np.round(points).astype(np.int32)
    x0, y0 = np.clip(corners.min(axis=0), 0, [w, h])
    x1, y1 = np.clip(corners.max(axis=0) + 1, 0, [w, h])
    if x1 <= x0 or y1 <= y0:
        return image[0:0, 0:0].reshape(-1, *image.shape[2:])
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [corners - [x0, y0]], (255,))
    return image[y0:y1, x0:x1][mask > 0]


def box_pixels(image: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    h, w = image.shape[:2]
    xa, xb = max(0, int(x0)), min(w, int(x1))
    ya, yb = max(0, int(y0)), min(h, int(y1))
    if xb <= xa or yb <= ya:
        return image[0:0, 0:0].reshape(-1, image.shape[2] if image.ndim == 3 else 1)
    region = image[ya:yb, xa:xb]
    return region.reshape(-1, image.shape[2]) if image.ndim == 3 else region.reshape(-1)


def skin_of(lab: np.ndarray, face: Face) -> Skin:
    cheeks = np.concatenate(
        [
            polygon_pixels(lab, face.points[list(lm.RIGHT_CHEEK), :2]),
            polygon_pixels(lab, face.points[list(lm.LEFT_CHEEK), :2]),
        ]
    ).astype(np.float32)
    if len(cheeks) < 10:  # a tiny face: the cheeks are a few pixels
        x0, y0, x1, y1 = face.box
        cheeks = box_pixels(lab, x0, y0, x1, y1).astype(np.float32)
    chroma = cheeks[:, 1:3]
    cov = np.cov(chroma.T) + np.eye(2) * 4.0  # never singular; a little tolerance
    return Skin(chroma.mean(axis=0), np.linalg.inv(cov), float(np.median(cheeks[:, 0])))


def pose(face: Face, width: int, height: int) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees: the landmarks fitted to the 3-D face model
    (pose.py), against the line of sight from a camera at the image's centre."""
    return head_pose(face.points, width, height)


def eye_ratio(face: Face) -> float:
    """Eye height over eye width, the mean of both eyes."""

    def one(eye: tuple[int, ...]) -> float:
        p = [face.p(i) for i in eye]
        width = float(np.linalg.norm(p[0] - p[3]))
        height = float(np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / 2
        return height / width if width > 0 else 0.0

    return (one(lm.RIGHT_EYE) + one(lm.LEFT_EYE)) / 2


def mouth(face: Face, image: np.ndarray) -> tuple[float, float]:
    """(lip gap / face height, share of teeth-like pixels between the lips)."""
    gap = float(np.linalg.norm(face.p(lm.MOUTH_LOWER_INNER) - face.p(lm.MOUTH_UPPER_INNER)))
    inside = polygon_pixels(image, face.points[list(lm.INNER_LIPS), :2])
    if len(inside) < 12:
        return gap / face.height, 0.0
    hsv = cv2.cvtColor(inside.reshape(-1, 1, 3), cv2.COLOR_BGR2HSV).reshape(-1, 3)
    face_light = float(np.median(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[_rows(face)]))
    teeth = (hsv[:, 1] < 90) & (hsv[:, 2] > max(90.0, 0.9 * face_light))
    return gap / face.height, float(teeth.mean())


def _rows(face: Face) -> tuple[slice, slice]:
    x0, y0, x1, y1 = face.box
    return slice(max(0, y0), y1), slice(max(0, x0), x1)


def head_top(
    image: np.ndarray, face: Face, mask: np.ndarray | None, skin: Skin
) -> tuple[float, float]:
    """What covers the top of the head, from the forehead up to the silhouette's top:
    (share of smooth pixels that are not skin, share of colours no hair has). Hair is
    fine texture in the colours of hair; a cap or a hat is smooth cloth, often in
    another colour; a bald head or a high forehead is smooth too, but it is the
    citizen's own skin, and a clipped pixel says nothing at all, so neither counts.
    Judged at a fixed face size (100 px wide), edges relative to the face's contrast,
    so that neither the camera's distance nor its exposure moves the numbers."""
    if mask is None:
        return 0.0, 0.0
    # the head and what is above it, cut out first: only that is scaled
    h, w = image.shape[:2]
    left = int(max(0, face.centre[0] - 0.7 * face.width))
    right = int(min(w, face.centre[0] + 0.7 * face.width))
    top = int(max(0, face.p(lm.FOREHEAD)[1] - 0.8 * face.height))
    bottom = int(min(h, face.p(lm.CHIN)[1] + 2))
    image, mask = image[top:bottom, left:right], mask[top:bottom, left:right]
    if image.size == 0:
        return 0.0, 0.0
    scale = 100.0 / max(1.0, face.width)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    person = cv2.resize(mask, (small.shape[1], small.shape[0])) > 0.5
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    edges = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    forehead = (float(face.p(lm.FOREHEAD)[1]) - top) * scale
    height, width = face.height * scale, face.width * scale
    x_mid = (float(face.centre[0]) - left) * scale
    above = (
        slice(max(0, int(forehead - 0.6 * height)), max(0, int(forehead - 0.05 * height))),
        slice(max(0, int(x_mid - 0.35 * width)), max(0, int(x_mid + 0.35 * width))),
    )
    judged = person[above] & (grey[above] < 250)
    if judged.sum() < 20:  # the head runs off the top, or all of it is clipped
        return 0.0, 0.0
    x0, x1 = (int((v - left) * scale) for v in (face.box[0], face.box[2]))
    y0, y1 = (int((v - top) * scale) for v in (face.box[1], face.box[3]))
    face_grey = grey[max(0, y0) : y1, max(0, x0) : x1]
    contrast = float(np.percentile(face_grey, 95) - np.percentile(face_grey, 5))
    smooth = edges[above] < 0.12 * max(contrast, 1.0)
    lab = cv2.cvtColor(small[above], cv2.COLOR_BGR2LAB)
    own_skin = skin.mask(lab.reshape(-1, 3)).reshape(judged.shape)
    cloth = float((smooth & ~own_skin)[judged].mean())
    hsv = cv2.cvtColor(small[above], cv2.COLOR_BGR2HSV)
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    # natural hair: reds, oranges, browns (hue under 30 of 180) or colourless
    unnatural = (saturation > 100) & (value > 50) & (hue > 30) & (hue < 165)
    return cloth, float(unnatural[judged].mean())


def ear_skin(lab: np.ndarray, face: Face, skin: Skin) -> tuple[float, float]:
    """Skin share just outside the face contour at ear height, each side."""
    eye_y = float((face.p(lm.RIGHT_EYE[0])[1] + face.p(lm.LEFT_EYE[0])[1]) / 2)
    nose_y = float(face.p(lm.NOSE_TIP)[1])
    width = face.width
    right = face.p(lm.FACE_RIGHT)[0]
    left = face.p(lm.FACE_LEFT)[0]
    return (
        skin.share(box_pixels(lab, right - 0.16 * width, eye_y, right - 0.01 * width, nose_y)),
        skin.share(box_pixels(lab, left + 0.01 * width, eye_y, left + 0.16 * width, nose_y)),
    )


def _eye_box(face: Face, eye: tuple[int, ...]) -> tuple[float, float, float, float]:
    p = face.points[list(eye), :2]
    (x0, y0), (x1, y1) = p.min(axis=0), p.max(axis=0)
    pad_x, pad_y = 0.35 * (x1 - x0), 0.9 * (y1 - y0) + 2
    return x0 - pad_x, y0 - pad_y, x1 + pad_x, y1 + pad_y


def glare(image: np.ndarray, face: Face) -> float:
    """Share of clipped, colourless pixels around the eyes (reflections in glasses)."""
    pixels = np.concatenate(
        [box_pixels(image, *_eye_box(face, eye)) for eye in (lm.RIGHT_EYE, lm.LEFT_EYE)]
    )
    if len(pixels) == 0:
        return 0.0
    hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2HSV).reshape(-1, 3)
    return float(((hsv[:, 2] >= 248) & (hsv[:, 1] < 40)).mean())


def eye_light(lab: np.ndarray, face: Face) -> float:
    """Eye-region lightness over cheek lightness (tinted lenses darken the eyes)."""
    eyes = np.concatenate(
        [box_pixels(lab, *_eye_box(face, eye)) for eye in (lm.RIGHT_EYE, lm.LEFT_EYE)]
    )
    cheeks = np.concatenate(
        [
            polygon_pixels(lab, face.points[list(lm.RIGHT_CHEEK), :2]),
            polygon_pixels(lab, face.points[list(lm.LEFT_CHEEK), :2]),
        ]
    )
    if len(eyes) == 0 or len(cheeks) == 0:
        return 1.0
    return float(np.median(eyes[:, 0])) / max(1.0, float(np.median(cheeks[:, 0])))


SHARPNESS_WIDTH = 100.0


def sharpness(grey: np.ndarray, face: Face) -> tuple[float, float]:
    """(variance of the Laplacian, weakest over strongest directional gradient energy)
    of the face scaled to 100 px wide: comparable across face sizes (a small face is
    not 'sharper' for having fewer pixels). Motion blur smears one direction only, so
    the Laplacian may stay high while the direction ratio drops."""
    x0, y0, x1, y1 = face.box
    crop = grey[max(0, y0) : y1, max(0, x0) : x1]
    if crop.size == 0:
        return 0.0, 0.0
    scale = SHARPNESS_WIDTH / crop.shape[1]
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    face_grey = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=interpolation)
    face_grey = face_grey.astype(np.float32)
    gx = cv2.Sobel(face_grey, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(face_grey, cv2.CV_32F, 0, 1)
    energy = [float(np.mean(d**2)) for d in (gx, gy, (gx + gy) / 1.4142, (gx - gy) / 1.4142)]
    ratio = min(energy) / max(max(energy), 1e-6)
    return float(cv2.Laplacian(face_grey, cv2.CV_32F).var()), ratio


def exposure(grey: np.ndarray, face: Face) -> tuple[float, float]:
    """(mean face luminance 0-1, share of clipped face pixels), in the central face."""
    x0, y0, x1, y1 = face.box
    w, h = x1 - x0, y1 - y0
    pixels = box_pixels(grey, x0 + 0.2 * w, y0 + 0.25 * h, x1 - 0.2 * w, y1 - 0.15 * h)
    if len(pixels) == 0:
        return 0.0, 0.0
    return float(pixels.mean()) / 255.0, float((pixels >= 250).mean())


def lighting_ratio(lab: np.ndarray, face: Face) -> float:
    """Brighter cheek over darker cheek."""
    right = polygon_pixels(lab, face.points[list(lm.RIGHT_CHEEK), :2])
    left = polygon_pixels(lab, face.points[list(lm.LEFT_CHEEK), :2])
    if len(right) == 0 or len(left) == 0:
        return 1.0
    a, b = float(np.median(right[:, 0])), float(np.median(left[:, 0]))
    return max(a, b) / max(1.0, min(a, b))


BACKGROUND_WIDTH = 160


def background(image: np.ndarray, mask: np.ndarray | None) -> tuple[float, np.ndarray] | None:
    """(luminance spread, mean BGR colour) of what is surely not the person, or None
    when too little of it shows to judge."""
    if mask is None:
        return None
    # a wall's evenness shows at 160 px as well as at full size, in a tenth of the time
    scale = min(1.0, BACKGROUND_WIDTH / image.shape[1])
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_AREA)
    behind = mask < 0.15
    if behind.mean() < 0.05:
        return None
    pixels = image[behind]
    grey = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_BGR2GRAY).reshape(-1)
    return float(grey.std()), pixels.mean(axis=0)


def crown_y(face: Face, mask: np.ndarray | None) -> float:
    """Where the top of the head is (y): the person mask above the face, bounded."""
    chin = float(face.p(lm.CHIN)[1])
    height = chin - float(face.p(lm.FOREHEAD)[1])
    lowest, highest = chin - CROWN_RANGE[0] * height, chin - CROWN_RANGE[1] * height
    if mask is None:
        return chin - CROWN_DEFAULT * height
    x_mid = float(face.centre[0])
    half = 0.2 * face.width
    columns = mask[:, max(0, int(x_mid - half)) : max(1, int(x_mid + half))]
    rows = np.nonzero(columns.mean(axis=1) > 0.5)[0]
    above = rows[rows < face.p(lm.FOREHEAD)[1]]
    if len(above) == 0:
        return chin - CROWN_DEFAULT * height
    if above.min() == 0:  # the hair runs off the top: the crown is there or above
        return min(0.0, chin - CROWN_DEFAULT * height)
    return float(min(lowest, max(highest, float(above.min()))))


COLOUR_WIDTH = 160


def colour(image: np.ndarray, face: Face, skin: Skin) -> tuple[float, float, float]:
    """(chroma not explained by lightness, the cheeks' chroma, the cheeks' hue angle).

    A grey picture has no chroma at all; a sepia or toned one has chroma that is a
    function of lightness alone (every pixel of one lightness has one tint), so what
    is left of the chroma once each lightness's mean is taken away is near zero in
    both, and several units in any colour photograph (lips, eyes, clothes and skin
    differ in hue at one lightness). Skin of every kind sits between red and yellow
    (Lab hue 25-75 degrees): a strong cast moves it out of there.

    Measured on the face alone: a citizen in a dark suit before a white wall leaves
    little colour anywhere else, and would read as grey."""
    x0, y0, x1, y1 = face.box
    image = image[max(0, y0) : y1, max(0, x0) : x1]
    if image.size == 0:
        return 0.0, 0.0, 0.0
    scale = min(1.0, COLOUR_WIDTH / image.shape[1])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    bins = (lab[:, 0] // 8).astype(np.int32)
    count = np.maximum(np.bincount(bins, minlength=32), 1)
    residual = 0.0
    for channel in (1, 2):
        mean = np.bincount(bins, weights=lab[:, channel], minlength=32) / count
        residual += float(np.mean((lab[:, channel] - mean[bins]) ** 2))
    a, b = float(skin.chroma[0]) - 128.0, float(skin.chroma[1]) - 128.0
    return math.sqrt(residual), math.hypot(a, b), math.degrees(math.atan2(b, a))


def blockiness(grey: np.ndarray, face: Face) -> float:
    """JPEG block edges on the face: the step between neighbouring pixels at the
    strongest 8-pixel phase over the mean step at the other phases, across and
    down. Heavy compression flattens each 8x8 block and leaves a step at its edge
    (1.0-1.2 for a camera's picture, over 1.5 at quality 10 and below); the phase
    is found, not assumed, since a crop moves the grid. Measured at the image's own
    scale: a resize would blur the grid away."""
    x0, y0, x1, y1 = face.box
    crop_ = grey[max(0, y0) : y1, max(0, x0) : x1].astype(np.float32)
    if crop_.shape[0] < 32 or crop_.shape[1] < 32:
        return 1.0
    ratios = []
    for steps in (np.abs(np.diff(crop_, axis=1)).mean(axis=0),
                  np.abs(np.diff(crop_, axis=0)).mean(axis=1)):  # fmt: skip
        usable = len(steps) // 8 * 8
        phases = steps[:usable].reshape(-1, 8).mean(axis=0)
        strongest = int(np.argmax(phases))
        others = np.delete(phases, strongest)
        ratios.append(float(phases[strongest]) / max(1e-6, float(others.mean())))
    return min(ratios)
