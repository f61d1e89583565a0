"""Where the spec's crop lies in the source image: the scale from the face, the
crown's and the eye line's places from the spec's windows, the face centred.

Sizing by face width (GA/T 461: 207 px between the ear roots) or by head height
(chin to crown, as ICAO and the exit-entry rules say). Then the crown goes to the
middle of its window, unless the eye line's rule asks for the head higher (the
resident ID card's: hair may be cut, the eyes may not sit low).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.photo import faces as lm
from kiosk.photo.faces import Face
from kiosk.photo.problems import Problem
from kiosk.photo.spec import PhotoSpec

EDGE_TOLERANCE_PX = 2.0  # a crop that misses the image by a hair is still cut


@dataclass(frozen=True)
class Plan:
    scale: float  # output pixels per source pixel
    x0: float  # the crop's top-left corner in the source
    y0: float
    width: float  # in source pixels
    height: float

    def matrix(self) -> np.ndarray:
        """The affine map from source to output pixels."""
        return np.array(
            [[self.scale, 0, -self.x0 * self.scale], [0, self.scale, -self.y0 * self.scale]],
            np.float64,
        )


def eye_line_y(face: Face) -> float:
    return float((face.p(lm.RIGHT_IRIS)[1] + face.p(lm.LEFT_IRIS)[1]) / 2)


def plan(face: Face, crown: float, spec: PhotoSpec) -> Plan:
    chin = float(face.p(lm.CHIN)[1])
    eyes = eye_line_y(face)
    if spec.sizing == "face_width" and spec.face_width_px:
        scale = (sum(spec.face_width_px) / 2) / face.width
    else:
        window = spec.head_height_window()
        target = (sum(window) / 2) if window else 0.75 * spec.height_px
        scale = target / max(1.0, chin - crown)
    crown_window = spec.crown_window()
    if crown_window:
        crown_out = sum(crown_window) / 2
    else:  # ICAO by ratios: put the eye line in the middle of its window
        ratio = spec.eye_line_from_bottom_ratio or (0.5, 0.7)
        eyes_out = spec.height_px * (1 - sum(ratio) / 2)
        crown_out = eyes_out - (eyes - crown) * scale
    if spec.eye_line_min_from_bottom_px is not None:
        lowest_eyes = spec.height_px - spec.eye_line_min_from_bottom_px
        crown_out = min(crown_out, lowest_eyes - (eyes - crown) * scale)
    x_mid = float(face.centre[0])
    width, height = spec.width_px / scale, spec.height_px / scale
    return Plan(scale, x_mid - width / 2, crown - crown_out / scale, width, height)


def outside(plan: Plan, image_w: int, image_h: int, face: Face, crown: float) -> list[str]:
    """What keeps the crop from being cut: the head not all there, or no room."""
    t = EDGE_TOLERANCE_PX
    x0, y0, x1, y1 = face.box
    found = []
    # Above the crown is background, which the spec's colour may fill: a crop may
    # reach past the top edge. Not past the head, nor below (the shoulders).
    if crown < -t or y0 < -t or y1 > image_h + t or x0 < -t or x1 > image_w + t:
        found.append("head_cut_off")
    left, right = plan.x0 < -t, plan.x0 + plan.width > image_w + t
    if (left and right) or plan.y0 + plan.height > image_h + t:
        found.append("too_close")  # the head fills the picture: no shoulders, no sides
    elif left or right:
        found.append("off_centre")
    return found


# How far a finished photo's measures may stray past a window's edge: landmarks
# move by a pixel or two between runs on the same picture.
GEOMETRY_SLACK_PX = 3.0


def geometry(face: Face, crown: float, spec: PhotoSpec) -> list[Problem]:
    """A finished photo's head against the spec's windows."""
    h, w = spec.height_px, spec.width_px
    chin = float(face.p(lm.CHIN)[1])
    eyes = eye_line_y(face)
    found: list[Problem] = []

    def within(code_low: str, code_high: str, value: float, window: tuple[float, float]) -> None:
        if value < window[0] - GEOMETRY_SLACK_PX:
            found.append(Problem(code_low, round(value, 1), window[0]))
        elif value > window[1] + GEOMETRY_SLACK_PX:
            found.append(Problem(code_high, round(value, 1), window[1]))

    if spec.face_width_px:
        within("too_far", "too_close", face.width, spec.face_width_px)
    if spec.head_width_mm:
        within(
            "too_far",
            "too_close",
            face.width,
            (spec.px(spec.head_width_mm[0]), spec.px(spec.head_width_mm[1])),
        )
    window = spec.head_height_window()
    if window:
        within("too_far", "too_close", chin - crown, window)
    crowns = spec.crown_window()
    eye_rule = spec.eye_line_min_from_bottom_px
    if eye_rule is not None and h - eyes < eye_rule - GEOMETRY_SLACK_PX:
        found.append(Problem("off_centre", round(h - eyes, 1), eye_rule))
    elif crowns and not (eye_rule is not None and crown < crowns[0]):  # hair may be cut
        within("head_cut_off", "off_centre", crown, crowns)
    if spec.chin_min_from_bottom_mm is not None:
        if h - chin < spec.px(spec.chin_min_from_bottom_mm) - GEOMETRY_SLACK_PX:
            found.append(
                Problem("too_close", round(h - chin, 1), spec.px(spec.chin_min_from_bottom_mm))
            )
    if spec.eye_line_from_bottom_ratio:
        low, high = spec.eye_line_from_bottom_ratio
        within("off_centre", "off_centre", h - eyes, (low * h, high * h))
    if spec.face_centre_ratio:
        low, high = spec.face_centre_ratio
        within("off_centre", "off_centre", float(face.centre[0]), (low * w, high * w))
    elif abs(float(face.centre[0]) - w / 2) > 0.05 * w:
        found.append(Problem("off_centre", round(float(face.centre[0]), 1), w / 2))
    return found
