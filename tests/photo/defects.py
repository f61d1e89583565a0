"""A "defect suite" of ID-photo test images, made from two public portraits.

Each variant takes one source portrait and breaks exactly one rule of a compliant ID
photo (or, for the clean variants, changes the picture without breaking any), and names
the problem code the photo pipeline must report for it. The suite is made here, from
the pictures alone, and never asks the pipeline under test where the face is: a
generator that used the pipeline's own face finder would move its defects along with
the pipeline's mistakes. Faces are found with OpenCV's stock Haar cascade instead, and
all geometry (blur strength, hat size, band positions...) is a fraction of that box.

The face boxes the cascade finds (OpenCV 4.11, scaleFactor 1.1, minNeighbors 5; the
same box for minNeighbors 3 to 8, so detection is stable), as x, y, w, h:

    astronaut     (512 x 512)  177,  66,  95,  95   top at mid-forehead, bottom at the chin
    grace_hopper  (512 x 600)  155, 105, 222, 222   top at the cap's lower band, bottom at the chin

Measured once on those images, in fractions of the box height from its top: eyebrows
0.25 (astronaut) / 0.29 (Grace), eyes 0.37, mouth 0.83 / 0.77. The constants below use
0.27 and 0.80, between the two.

What the sources already break, whatever the variant: Grace Hopper wears a naval cap
(head_covering) and glasses; the astronaut smiles with her teeth showing and her hair
reaches over the top of her ears. A clean variant is "clean" apart from those.

    python -m tests.photo.defects OUTDIR     (from the repo root) writes every variant as
                                             OUTDIR/{source}_{name}.png, to look at.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

FACES_DIR = Path(__file__).resolve().parents[1] / "data" / "faces"
SOURCE_FILES = {"astronaut": "astronaut.png", "grace_hopper": "grace_hopper.jpg"}

# The face width each source is known to have (see the module docstring): a detection
# far from it means the cascade found something else, and every variant would be wrong.
NOMINAL_FACE_W = {"astronaut": 95, "grace_hopper": 222}
FACE_W_TOLERANCE = 0.2

# Sources whose subject already wears a hat: a drawn hat would test nothing new.
WEARS_HEAD_COVERING = frozenset({"grace_hopper"})

# Face landmarks as fractions of the Haar box height, measured on both sources.
BROW_Y = 0.27
MOUTH_Y = 0.80

# too_small: the astronaut's face scaled to 45 px in a 512 px wide image. "The same
# ratio" for Grace is the same face width / image width, not the same scale factor:
# scaling her 222 px face by 45/95 would leave it larger than the astronaut's original.
SMALL_FACE_OF_WIDTH = 45 / 512

HAAR_FACE = "haarcascade_frontalface_default.xml"
HAAR_EYE = "haarcascade_eye.xml"


@dataclass(frozen=True, eq=False)  # eq=False: comparing numpy arrays with == is ambiguous
class Variant:
    source: str  # "astronaut" | "grace_hopper"
    name: str  # e.g. "blur", "scaled_90"
    image: np.ndarray  # BGR uint8, the size of the source
    expected: str | None  # the problem code the pipeline must report, None for a clean variant


class Box(NamedTuple):
    x: int
    y: int
    w: int
    h: int

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def crop(self, image: np.ndarray) -> np.ndarray:
        return image[max(self.y, 0) : self.y + self.h, max(self.x, 0) : self.x + self.w]


# --- face finding -----------------------------------------------------------------------


def _cascade(name: str) -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / name))
    if cascade.empty():
        raise RuntimeError(f"OpenCV Haar cascade {name} did not load")
    return cascade


def detect_faces(image: np.ndarray, min_size: int = 24) -> list[Box]:
    """Every frontal face the stock Haar cascade finds, largest first."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    found = _cascade(HAAR_FACE).detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_size, min_size)
    )
    boxes = [Box(*(int(v) for v in f)) for f in found]
    return sorted(boxes, key=lambda b: b.w * b.h, reverse=True)


def detect_eyes(image: np.ndarray, face: Box) -> list[tuple[float, float]]:
    """Centres of the eyes the stock cascade finds in the upper part of a face box."""
    top = face.crop(image)[: face.h * 6 // 10]
    gray = cv2.cvtColor(top, cv2.COLOR_BGR2GRAY)
    found = _cascade(HAAR_EYE).detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5)
    return [(face.x + x + w / 2, face.y + y + h / 2) for x, y, w, h in found]


def face_box(source: str, image: np.ndarray) -> Box:
    """The source's face: the largest Haar detection, checked against the known size."""
    faces = detect_faces(image, min_size=40)
    if not faces:
        raise RuntimeError(f"{source}: the Haar cascade found no face")
    face = faces[0]
    nominal = NOMINAL_FACE_W.get(source)
    if nominal is not None and abs(face.w - nominal) > FACE_W_TOLERANCE * nominal:
        raise RuntimeError(f"{source}: face {face} is not about {nominal} px wide")
    return face


# --- pixel helpers ----------------------------------------------------------------------


def _luma(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float64)


def _to_linear(image: np.ndarray) -> np.ndarray:
    # sRGB decoding: exposure is a multiplication of light, not of the encoded value.
    c = image.astype(np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _from_linear(linear: np.ndarray) -> np.ndarray:
    c = np.clip(linear, 0.0, 1.0)
    srgb = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.clip(np.rint(srgb * 255.0), 0, 255).astype(np.uint8)


def _expose(image: np.ndarray, gain: float | np.ndarray) -> np.ndarray:
    """The picture as if the light on it were `gain` times as strong (per pixel if an array)."""
    linear = _to_linear(image)
    if isinstance(gain, np.ndarray):
        gain = gain[..., None]
    return _from_linear(linear * gain)


def _bisect(f: Callable[[float], float], lo: float, hi: float, target: float) -> float:
    """The x in [lo, hi] where the increasing function f reaches target."""
    steps = 30  # 2**-30 of the interval: far finer than one grey level
    for _ in range(steps):
        mid = (lo + hi) / 2
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _warp_affine(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _translate(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    return _warp_affine(image, np.float64([[1, 0, dx], [0, 1, dy]]))


def _rotate(image: np.ndarray, centre: tuple[float, float], degrees: float) -> np.ndarray:
    # Positive = counter-clockwise on screen (OpenCV's convention).
    return _warp_affine(image, cv2.getRotationMatrix2D(centre, degrees, 1.0))


def _border_colour(image: np.ndarray) -> tuple[int, int, int]:
    ring = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    return tuple(int(v) for v in np.median(ring, axis=0))  # type: ignore[return-value]


def _rng(source: str, name: str) -> np.random.Generator:
    # Seeded per source and variant: the suite is the same on every run and machine.
    return np.random.default_rng(zlib.crc32(f"{source}/{name}".encode()))


def _feathered_paste(
    dest: np.ndarray, patch: np.ndarray, mask: np.ndarray, x: int, y: int
) -> np.ndarray:
    """dest with patch blended in at (x, y) through mask (float 0-1, the patch's size)."""
    out = dest.astype(np.float64)
    h, w = patch.shape[:2]
    region = out[y : y + h, x : x + w]
    region[:] = region * (1 - mask[..., None]) + patch.astype(np.float64) * mask[..., None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


# --- the defects ------------------------------------------------------------------------


def _blur(image: np.ndarray, face: Box) -> np.ndarray:
    # face_w/40: about 2.4 px on the astronaut, 5.5 px on Grace; pores, lashes and the
    # hair's texture go, the outline stays: an out-of-focus shot, not a smear.
    return cv2.GaussianBlur(image, (0, 0), sigmaX=face.w / 40)


def _motion_blur(image: np.ndarray, face: Box) -> np.ndarray:
    # A horizontal streak of face_w/8 (12 px / 28 px): the subject moved sideways while
    # the shutter was open. Horizontal on purpose: horizontal edges (eyes, mouth) stay
    # sharp, so a sharpness measure must not look at one direction only.
    length = max(3, round(face.w / 8))
    kernel = np.zeros((length, length), np.float64)
    kernel[length // 2, :] = 1.0 / length
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REPLICATE)


def _underexposed(image: np.ndarray, face: Box) -> np.ndarray:
    # Less light, in linear light, until the face's mean luminance is 12 % of full scale
    # (the pipeline's floor is 25 %): a dark face that is still a face. Calibrated on the
    # face box alone: exposure works pixel by pixel.
    crop = face.crop(image)

    def face_mean(gain: float) -> float:
        return float(_luma(_expose(crop, gain)).mean())

    return _expose(image, _bisect(face_mean, 0.001, 1.0, 0.12 * 255))


def _overexposed(image: np.ndarray, face: Box) -> np.ndarray:
    # More light until 60 % of the face box is clipped (>= 250): washed-out skin.
    crop = face.crop(image)

    def clipped_share(gain: float) -> float:
        return float((_luma(_expose(crop, gain)) >= 250).mean())

    return _expose(image, _bisect(clipped_share, 1.0, 50.0, 0.60))


def _side_light(image: np.ndarray, face: Box) -> np.ndarray:
    """A strong light from the right: the head's left half in shadow.

    Over the head (a soft ellipse round face and hair) the light falls off along a
    linear ramp across the middle 40 % of the face, as a side light does across the
    nose line; the rest of the picture gets only a gentle left-to-right falloff, so the
    wall shows no sharp shadow edge. The dim end is found so that the face's bright half
    is 2.5 times its dark half in luminance (the pipeline's limit is 1.6).
    """
    h, w = image.shape[:2]
    xs = np.tile(np.arange(w, dtype=np.float64), (h, 1))
    ramp = np.clip((xs - (face.x + 0.3 * face.w)) / (0.4 * face.w), 0.0, 1.0)
    head = np.zeros((h, w), np.uint8)
    centre = (round(face.cx), round(face.cy - 0.1 * face.h))
    cv2.ellipse(head, centre, (round(0.72 * face.w), round(1.0 * face.h)), 0, 0, 360, 255, -1)
    head_weight = cv2.GaussianBlur(head.astype(np.float64) / 255, (0, 0), sigmaX=0.06 * face.w)
    room = 0.75 + 0.25 * xs / (w - 1)  # the wall: 75 % at the left edge, full at the right

    def gain_for(dim: float) -> np.ndarray:
        on_head = dim + (1 - dim) * ramp
        return head_weight * on_head + (1 - head_weight) * np.maximum(room, on_head)

    def ratio(dim: float) -> float:
        lit = _luma(face.crop(_expose(image, gain_for(dim))))
        half = face.w // 2
        return float(lit[:, half:].mean() / max(lit[:, :half].mean(), 1e-6))

    # The ratio falls as dim rises; bisect on -ratio to keep _bisect's increasing f.
    dim = _bisect(lambda d: -ratio(d), 0.01, 1.0, -2.5)
    return _expose(image, gain_for(dim))


def _roll(image: np.ndarray, face: Box, degrees: float = 10.0) -> np.ndarray:
    """10 degrees more tilt than the portrait already has: turned the way the eye line
    already leans (a turn the other way would partly level a tilted head)."""
    eyes = sorted(detect_eyes(image, face))
    if len(eyes) == 2:
        (x0, y0), (x1, y1) = eyes
        leaning = np.degrees(np.arctan2(y1 - y0, x1 - x0))  # image y runs down
        # cv2's positive angle turns counter-clockwise on screen: the right eye rises
        degrees = -degrees if leaning > 0 else degrees
    return _rotate(image, (face.cx, face.cy), degrees)


def _cosine_fade(distance: np.ndarray, length: float) -> np.ndarray:
    """1 at distance <= 0, falling smoothly to 0 at distance >= length."""
    t = np.clip(distance / length, 0.0, 1.0)
    return 0.5 + 0.5 * np.cos(np.pi * t)


def _yaw(image: np.ndarray, face: Box, degrees: float = 20.0) -> np.ndarray:
    """An approximation of a head turned 20 degrees to its left (to the picture's right).

    A 2-D warp cannot show the side of a head the camera never saw, so the head is taken
    as an upright cylinder (radius 0.6 face widths: the Haar box spans the cheeks, hair
    or cap reach a little further) turned about its axis and seen from the front: a
    point at angle phi moves to phi + 20 degrees. The picture-right half of the face
    (the far side) narrows to about 75 %, the left half widens to about 110 %, and nose,
    eyes and mouth move 0.2 face widths towards the far side while the outline of the
    head stays put, as in a real turn. The far side also shrinks up to 6 % in height (it
    is farther away). The sliver of the near side that was never seen is the head's
    edge, stretched: the hair on the near side shows horizontal streaks.

    Why not a plain perspective warp of the face box (right edge 25 % inwards, as first
    planned)? Measured, it mostly narrows the face: its midline moves only 2.6 % of the
    new width, the asymmetry of a 3-degree turn, under the 5-degree limit to break.
    The warp covers the head (from well above the box, for the hair, to just below the
    chin) and fades out at the neck and beside the head; the rest of the picture stays.
    """
    h, w = image.shape[:2]
    theta = np.radians(degrees)
    radius = 0.6 * face.w
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    # For each output pixel: its angle on the cylinder, then where it was before the turn.
    u = np.clip((xs - face.cx) / radius, -1.0, 1.0)
    psi = np.arcsin(u)
    phi = np.maximum(psi - theta, -np.pi / 2)
    dx = face.cx + radius * np.sin(phi) - xs
    eye_y = face.y + 0.37 * face.h
    dy = (ys - eye_y) * 0.06 * np.sin(psi)  # far side drawn from a taller span: smaller

    # Beyond the cylinder dx holds its value at the edge (0 on the near side, a few px on
    # the far side), so the fade below removes that step smoothly.
    beside = np.abs(xs - face.cx) - radius
    above = (face.y - 0.7 * face.h) - ys
    below = ys - (face.y + 1.05 * face.h)
    weight = _cosine_fade(beside, 0.3 * radius) * _cosine_fade(
        np.maximum(above, below), 0.25 * face.h
    )
    map_x = (xs + weight * dx).astype(np.float32)
    map_y = (ys + weight * dy).astype(np.float32)
    return cv2.remap(
        image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _second_face(image: np.ndarray, face: Box) -> np.ndarray:
    """A bystander: the face at about 70 % size beside the original, faded in as an oval.

    The copy is the face box with a 10 % margin (the cascade needs the face's outline),
    blended through a soft oval so no rectangle edge shows. Its face box lies fully
    inside the picture, a gap away from the original's, at the same height, right or
    left, whichever fits; its margin may run off the picture's edge. Grace Hopper's face
    fills so much of the width that 70 % does not fit beside it: the size steps down (to
    65 % for her, on the flag at her right) before a place lower down, beside the
    shoulders, is tried.
    """
    h, w = image.shape[:2]
    m = round(0.1 * face.w)
    gap = round(0.03 * face.w)
    sx0, sy0 = max(face.x - m, 0), max(face.y - m, 0)
    sx1, sy1 = min(face.x + face.w + m, w), min(face.y + face.h + m, h)
    source = image[sy0:sy1, sx0:sx1]

    def placements(scale: float, lower: bool) -> list[tuple[int, int]]:
        fw, fh = round(face.w * scale), round(face.h * scale)  # the copy's face box
        fy = round(face.cy - fh / 2) if not lower else face.y + face.h - fh // 3
        return [(face.x + face.w + gap, fy), (face.x - gap - fw, fy)]

    def fits(fx: int, fy: int, scale: float) -> bool:
        fw, fh = round(face.w * scale), round(face.h * scale)
        inside = 0 <= fx and fx + fw <= w and 0 <= fy and fy + fh <= h
        apart = fx + fw + gap <= face.x or fx >= face.x + face.w + gap
        return inside and (apart or fy >= face.y + face.h + gap)

    tries = [(s, False) for s in (0.7, 0.65, 0.6)] + [(0.7, True)]
    for scale, lower in tries:
        spots = [p for p in placements(scale, lower) if fits(*p, scale)]
        if spots:
            fx, fy = spots[0]
            break
    else:
        raise RuntimeError(f"no room for a second face beside {face} in {w}x{h}")

    patch = cv2.resize(source, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ph, pw = patch.shape[:2]
    # Where the patch's top left goes: the copy's face box sits at (fx, fy).
    px, py = fx - round((face.x - sx0) * scale), fy - round((face.y - sy0) * scale)
    mask = np.zeros((ph, pw), np.float64)
    axes = (round(pw * 0.47), round(ph * 0.49))
    cv2.ellipse(mask, (pw // 2, ph // 2), axes, 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), sigmaX=max(0.04 * pw, 1.0))
    # Crop patch and mask where the margin runs off the picture.
    cx0, cy0 = max(-px, 0), max(-py, 0)
    cx1, cy1 = min(pw, w - px), min(ph, h - py)
    return _feathered_paste(
        image,
        patch[cy0:cy1, cx0:cx1],
        mask[cy0:cy1, cx0:cx1],
        px + cx0,
        py + cy0,
    )


def _too_small(image: np.ndarray, face: Box) -> np.ndarray:
    # The whole picture scaled down (never up) so the face is 45/512 of the image width,
    # centred on a canvas of the original size in the picture's border colour: a subject
    # standing far back. Reaching an ID photo's face size (200 px and more) would take an
    # enlargement of 4x and more.
    h, w = image.shape[:2]
    scale = min(SMALL_FACE_OF_WIDTH * w / face.w, 1.0)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    canvas = np.empty_like(image)
    canvas[:] = _border_colour(image)
    top, left = (h - sh) // 2, (w - sw) // 2
    canvas[top : top + sh, left : left + sw] = small
    return canvas


def _off_centre(image: np.ndarray, face: Box) -> np.ndarray:
    # The face moved aside as far as it goes while staying whole (its centre at 12 %
    # of the width, or 0.6 face widths from the edge): no crop centred on the face
    # fits in the picture then (a small face leaves a narrow crop: 20 % would do for
    # Grace, not for the astronaut).
    return _translate(image, max(0.12 * image.shape[1], 0.6 * face.w) - face.cx, 0)


def _head_cut_off(image: np.ndarray, face: Box) -> np.ndarray:
    # The face box's top to y = 0: the crown and the top of the forehead leave the frame.
    return _translate(image, 0, -face.y)


def _hat(image: np.ndarray, face: Box, source: str) -> np.ndarray:
    """A plain, saturated blue cap: a crown block and a brim, from just above the eyebrows.

    1.3 face widths wide, so it covers the hair on both sides of the forehead like a
    real cap. Lightly shaded (top lighter, a darker band above the brim) and with a touch
    of noise so it reads as cloth, not as a paint-filled rectangle.
    """
    out = image.copy()
    brim_y = round(face.y + (BROW_Y - 0.05) * face.h)  # the brim's lower edge
    brim_h = round(0.12 * face.h)
    half_w = round(0.65 * face.w)
    crown_half_w = round(0.55 * face.w)
    crown_top = max(round(face.y - 0.75 * face.h), 0)
    cx = round(face.cx)

    mask = np.zeros(image.shape[:2], np.uint8)
    # Crown: a block with rounded top corners, from above the hair down to the brim.
    r = round(0.25 * face.w)
    cv2.rectangle(mask, (cx - crown_half_w, crown_top + r), (cx + crown_half_w, brim_y), 255, -1)
    cv2.rectangle(
        mask, (cx - crown_half_w + r, crown_top), (cx + crown_half_w - r, brim_y), 255, -1
    )
    for corner_x in (cx - crown_half_w + r, cx + crown_half_w - r):
        cv2.circle(mask, (corner_x, crown_top + r), r, 255, -1)
    # Brim: a flat ellipse, wider than the crown, its lower edge at brim_y.
    cv2.ellipse(mask, (cx, brim_y - brim_h // 2), (half_w, brim_h // 2), 0, 0, 360, 255, -1)

    colour = np.float64([190, 60, 20])  # saturated royal blue (BGR)
    ys = np.arange(image.shape[0], dtype=np.float64)[:, None]
    shade = 1.15 - 0.3 * np.clip((ys - crown_top) / max(brim_y - crown_top, 1), 0, 1)
    band = (ys > brim_y - brim_h - 0.12 * face.h) & (ys <= brim_y - brim_h)
    shade = np.where(band, shade * 0.7, shade)
    noise = _rng(source, "hat").normal(0, 6, image.shape[:2])
    cloth = colour[None, None, :] * shade[..., None] + noise[..., None]
    cloth = np.clip(cloth, 0, 255)

    alpha = cv2.GaussianBlur(mask.astype(np.float64) / 255, (0, 0), sigmaX=1.0)
    blended = out * (1 - alpha[..., None]) + cloth * alpha[..., None]
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def _ears_covered(image: np.ndarray, face: Box, source: str) -> np.ndarray:
    """Dark hair falling over both ears: bands from eyebrow to mouth level, each from 15 %
    inside the face box's edge (the Haar box runs past the cheeks, over the ears'
    roots) to 25 % of the face width outside it.

    The texture is noise stretched vertically (strands); the inner edge wavers, the
    lower ends are ragged and the top fades into the head, as loose hair does, so the
    bands read as hair and not as two painted rectangles.
    """
    h, w = image.shape[:2]
    rng = _rng(source, "ears_covered")
    top = round(face.y + BROW_Y * face.h)
    bottom = round(face.y + MOUTH_Y * face.h)
    inner, outer = round(0.15 * face.w), round(0.25 * face.w)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)

    def smooth_noise(n: int, sigma: float) -> np.ndarray:
        noise = cv2.GaussianBlur(rng.normal(0, 1, (n, 1)), (0, 0), sigmaX=0.1, sigmaY=sigma)
        return noise[:, 0] / max(float(noise.std()), 1e-6)

    waver = smooth_noise(h, face.h / 12)[:, None] * 0.025 * face.w  # inner edge, per row
    ragged = smooth_noise(w, face.w / 40)[None, :] * 0.05 * face.h  # lower end, per column
    left_in = face.x + inner + waver
    right_in = face.x + face.w - inner - waver
    across = ((xs >= face.x - outer) & (xs <= left_in)) | (
        (xs >= right_in) & (xs <= face.x + face.w + outer)
    )
    down = (ys >= top - 0.05 * face.h) & (ys <= bottom + ragged)
    mask = cv2.GaussianBlur((across & down).astype(np.float64), (0, 0), sigmaX=face.w / 80 + 0.5)
    # The top fades in over 10 % of the face height: the hair comes from above.
    mask *= np.clip((ys - (top - 0.05 * face.h)) / (0.1 * face.h), 0, 1)

    base = np.float64([28, 40, 58])  # dark brown (BGR)
    strands = cv2.GaussianBlur(
        rng.normal(0, 1, (h, w)), (0, 0), sigmaX=max(face.w / 200, 0.6), sigmaY=face.w / 12
    )
    strands /= max(float(strands.std()), 1e-6)
    hair = np.clip(base[None, None, :] * (1 + 0.35 * strands[..., None]), 0, 255)
    out = image.astype(np.float64) * (1 - mask[..., None]) + hair * mask[..., None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def defects(source: str, image: np.ndarray) -> list[Variant]:
    """Every defect variant of one source, each with the code the pipeline must report."""
    face = face_box(source, image)
    made: list[tuple[str, np.ndarray, str]] = [
        ("blur", _blur(image, face), "blurred"),
        ("motion_blur", _motion_blur(image, face), "blurred"),
        ("underexposed", _underexposed(image, face), "underexposed"),
        ("overexposed", _overexposed(image, face), "overexposed"),
        ("side_light", _side_light(image, face), "uneven_lighting"),
        ("roll", _roll(image, face), "roll"),
        ("yaw", _yaw(image, face), "yaw"),
        ("second_face", _second_face(image, face), "multiple_faces"),
        ("too_small", _too_small(image, face), "face_too_small"),
        ("off_centre", _off_centre(image, face), "off_centre"),
        ("head_cut_off", _head_cut_off(image, face), "head_cut_off"),
    ]
    if source not in WEARS_HEAD_COVERING:
        made.append(("hat", _hat(image, face, source), "head_covering"))
    made.append(("ears_covered", _ears_covered(image, face, source), "ears_hidden"))
    return [Variant(source, name, img, code) for name, img, code in made]


# --- clean variants ---------------------------------------------------------------------


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def _scaled(image: np.ndarray, factor: float) -> np.ndarray:
    # Scaled about the image centre, the edges replicated out to the original size.
    h, w = image.shape[:2]
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    top, left = (h - sh) // 2, (w - sw) // 2
    return cv2.copyMakeBorder(small, top, h - sh - top, left, w - sw - left, cv2.BORDER_REPLICATE)


def clean(source: str, image: np.ndarray) -> list[Variant]:
    """Variants the pipeline must not fault (beyond what the source itself breaks)."""
    face = face_box(source, image)
    w = image.shape[1]
    # shifted_5 moves the face towards the middle: the astronaut's face already sits
    # 6 % left of centre, and moving it further out would approach the 10 % limit.
    towards_middle = 1.0 if face.cx < w / 2 else -1.0
    made = [
        ("original", image.copy()),
        ("jpeg_q60", _jpeg(image, 60)),
        ("brighter_10", _expose(image, 1.10)),
        ("scaled_95", _scaled(image, 0.95)),
        ("shifted_5", _translate(image, towards_middle * 0.05 * w, 0)),
        ("roll_3", _rotate(image, (face.cx, face.cy), 3.0)),
    ]
    return [Variant(source, name, img, None) for name, img in made]


# --- the suite --------------------------------------------------------------------------


def sources() -> dict[str, np.ndarray]:
    """The source portraits, BGR uint8, by name."""
    images: dict[str, np.ndarray] = {}
    for name, filename in SOURCE_FILES.items():
        path = FACES_DIR / filename
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"test portrait missing or unreadable: {path}")
        images[name] = image
    return images


def suite() -> list[Variant]:
    """Every defect and clean variant of both sources."""
    return [
        variant
        for source, image in sources().items()
        for variant in (*defects(source, image), *clean(source, image))
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.photo.defects OUTDIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    for variant in suite():
        path = out / f"{variant.source}_{variant.name}.png"
        cv2.imwrite(str(path), variant.image)
        print(f"{path}  expected={variant.expected}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
