"""From measures to problems, by the spec's rules; ranked by what the citizen should
put right first (step into the frame before smiling less), each with its message id
in the catalogue (`photo.problem.<code>`).

`analyse` judges a live frame (with the on-screen guide's target box) or a still
(where the question is whether a spec-exact crop can be made of it at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import cv2
import numpy as np

from kiosk.photo import crop, measure
from kiosk.photo.faces import Found
from kiosk.photo.problems import RANK, Problem
from kiosk.photo.spec import PhotoSpec, Rule, load

Box = tuple[float, float, float, float]

# What still holds of a picture spoilt by compression: who and where the face is.
UNAFFECTED_BY_COMPRESSION = frozenset({
    "no_face", "multiple_faces", "face_too_small", "head_cut_off", "too_far", "too_close",
    "off_centre", "compression",
})  # fmt: skip


@dataclass
class Analysis:
    problems: list[Problem]
    measures: dict[str, float] = field(default_factory=dict)
    face_box: Box | None = None
    target_box: Box | None = None  # where the guide wants the face (live)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": [
                {"code": p.code, "value": p.value, "limit": p.limit} for p in self.problems
            ],
            "measures": {k: round(v, 4) for k, v in self.measures.items()},
            "face_box": self.face_box,
            "target_box": self.target_box,
        }


def target_box(width: int, height: int) -> Box:
    """The guide: a face (forehead to chin) 42 % of the frame high, centred a little
    above the middle, leaves room for the crown above and the shoulders below."""
    face_h = 0.42 * height
    face_w = 0.78 * face_h
    cx, cy = width / 2, 0.47 * height
    return cx - face_w / 2, cy - face_h / 2, cx + face_w / 2, cy + face_h / 2


def analyse(
    image: np.ndarray,
    found: Found,
    spec: PhotoSpec,
    live: bool = False,
    geometry: bool = True,
    shown: frozenset[str] = frozenset(),
) -> Analysis:
    """`live`: a preview frame, judged against the guide; else a still, judged by
    whether the spec's crop can be cut from it (`geometry=False`: a finished photo,
    whose geometry crop.geometry judges against the spec's windows).

    `shown`: the problems the screen shows now. Each keeps its hint until its
    measure is back inside the limit by the rule's hysteresis (5 % of the limit
    unless the rule says), so a still face on a limit does not flicker."""
    height, width = image.shape[:2]
    guide = target_box(width, height) if live else None
    if not found.faces:
        return Analysis([Problem("no_face")], target_box=guide)
    face = found.faces[0]
    measures: dict[str, float] = {}
    problems: list[Problem] = []

    def limit(code: str, name: str, over: bool) -> float:
        """The rule's limit; for a problem on screen, moved inwards by the margin."""
        rule = spec.rule(code)
        number = rule.number(name)
        if code not in shown:
            return number
        margin = rule.optional("hysteresis")
        margin = 0.05 * number if margin is None else margin
        return number - margin if over else number + margin

    def judge(code: str, value: float, name: str, over: bool) -> None:
        """A problem when `value` is over (or under) the rule's `name` limit."""
        measures[code] = value
        if not spec.has(code):
            return
        bound = limit(code, name, over)
        if (value > bound) if over else (value < bound):
            problems.append(Problem(code, round(value, 4), spec.rule(code).number(name)))

    if spec.has("multiple_faces") and found.count > 1:
        problems.append(Problem("multiple_faces", found.count, 1))
    measures["faces"] = found.count

    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    skin = measure.skin_of(lab, face)
    smooth, unnatural = measure.head_top(image, face, found.mask, skin)
    measures["head_smooth"], measures["head_unnatural"] = smooth, unnatural
    covered = _covered(smooth, unnatural, spec)
    # a hat's top is not the crown: then the crown comes from the face's proportions
    crown = measure.crown_y(face, None if covered else found.mask)
    measures["face_width_px"] = face.width
    measures["crown_y"] = crown

    if live:
        assert guide is not None
        _live_geometry(face, crown, guide, width, spec, measures, problems)
    elif geometry:
        _still_geometry(face, crown, image.shape, spec, measures, problems)

    yaw, pitch, roll = measure.pose(face, width, height)
    measures["yaw_deg"], measures["pitch_deg"], measures["roll_deg"] = yaw, pitch, roll
    judge("yaw", abs(yaw), "max_deg", over=True)
    judge("pitch", abs(pitch), "max_deg", over=True)
    judge("roll", abs(roll), "max_deg", over=True)
    judge("eyes_closed", measure.eye_ratio(face), "min_ratio", over=False)
    gap, teeth = measure.mouth(face, image)
    measures["mouth_gap"], measures["teeth"] = gap, teeth
    if spec.has("mouth_open") and (
        gap > limit("mouth_open", "max_gap", True) or teeth > limit("mouth_open", "max_teeth", True)
    ):
        problems.append(Problem("mouth_open", round(max(gap, teeth), 4), None))
    if covered and spec.has("head_covering"):
        problems.append(Problem("head_covering", round(max(smooth, unnatural), 4), None))
    ears = measure.ear_skin(lab, face, skin)
    judge("ears_hidden", max(ears), "min_skin", over=False)
    judge("glasses_glare", measure.glare(image, face), "max_share", over=True)
    judge("tinted_glasses", measure.eye_light(lab, face), "min_eye_light", over=False)
    luminance, clipped = measure.exposure(grey, face)
    judge("underexposed", luminance, "min_luminance", over=False)
    measures["clipped"] = clipped
    if spec.has("overexposed") and (
        luminance > limit("overexposed", "max_luminance", True)
        or clipped > limit("overexposed", "max_clipped", True)
    ):
        problems.append(
            Problem(
                "overexposed", round(luminance, 4), spec.rule("overexposed").number("max_luminance")
            )
        )
    judge("uneven_lighting", measure.lighting_ratio(lab, face), "max_ratio", over=True)
    detail, direction = measure.sharpness(grey, face)
    measures["sharpness"], measures["blur_direction"] = detail, direction
    if spec.has("blurred") and (
        detail < limit("blurred", "min_sharpness", False)
        or direction < limit("blurred", "min_direction", False)
    ):
        problems.append(
            Problem("blurred", round(detail, 1), spec.rule("blurred").number("min_sharpness"))
        )
    residual, chroma, hue = measure.colour(image, face, skin)
    measures["colour_residual"], measures["skin_chroma"], measures["skin_hue"] = (
        residual,
        chroma,
        hue,
    )
    if spec.has("not_colour"):
        rule = spec.rule("not_colour")
        low, high = rule.number("min_skin_hue"), rule.number("max_skin_hue")
        if residual < limit("not_colour", "min_residual", False) or not low <= hue <= high:
            problems.append(Problem("not_colour", round(residual, 2), rule.number("min_residual")))
    seen = measure.background(image, found.mask)
    if seen is not None:
        spread, colour = seen
        judge("background_not_uniform", spread, "max_std", over=True)
        distance = float(np.linalg.norm(colour - np.array(spec.background, np.float32)))
        judge("background_wrong_colour", distance, "max_distance", over=True)
    judge("compression", measure.blockiness(grey, face), "max_blockiness", over=True)
    if "compression" in (p.code for p in problems):
        # block artefacts pass for detail, cloth or a tilt: the other measures of
        # the face mean nothing, so only where the face is and compression are said
        problems = [p for p in problems if p.code in UNAFFECTED_BY_COMPRESSION]

    problems.sort(key=lambda p: RANK.index(p.code))
    x0, y0, x1, y1 = face.box
    return Analysis(problems, measures, (float(x0), float(y0), float(x1), float(y1)), guide)


def _covered(smooth: float, unnatural: float, spec: PhotoSpec) -> bool:
    """Whether something covers the head, by the spec's rule (or, where the spec
    does not judge it, by the generic table's: the crown still must be found)."""
    rule = spec.rule("head_covering") if spec.has("head_covering") else generic_rule()
    return smooth > rule.number("max_smooth") or unnatural > rule.number("max_unnatural")


@cache
def generic_rule() -> Rule:
    return load("icao").rule("head_covering")


def _live_geometry(
    face: Any,
    crown: float,
    guide: Box,
    width: int,
    spec: PhotoSpec,
    measures: dict[str, float],
    problems: list[Problem],
) -> None:
    target_h = guide[3] - guide[1]
    fill = face.height / target_h
    offset = abs(float(face.centre[0]) - (guide[0] + guide[2]) / 2) / width
    measures["fill"], measures["offset"] = fill, offset
    if spec.has("head_cut_off") and crown < 0:
        problems.append(Problem("head_cut_off", crown, 0))
    if spec.has("too_far") and fill < spec.rule("too_far").number("min_fill"):
        problems.append(Problem("too_far", round(fill, 3), spec.rule("too_far").number("min_fill")))
    if spec.has("too_close") and fill > spec.rule("too_close").number("max_fill"):
        problems.append(
            Problem("too_close", round(fill, 3), spec.rule("too_close").number("max_fill"))
        )
    if spec.has("off_centre") and offset > spec.rule("off_centre").number("max_offset"):
        problems.append(
            Problem("off_centre", round(offset, 3), spec.rule("off_centre").number("max_offset"))
        )


def _still_geometry(
    face: Any,
    crown: float,
    shape: tuple[int, ...],
    spec: PhotoSpec,
    measures: dict[str, float],
    problems: list[Problem],
) -> None:
    """Can the spec's crop be cut from this image, without inventing pixels?"""
    plan = crop.plan(face, crown, spec)
    measures["upscale"] = plan.scale
    if spec.has("face_too_small") and plan.scale > spec.rule("face_too_small").number(
        "max_upscale"
    ):
        problems.append(
            Problem(
                "face_too_small",
                round(plan.scale, 3),
                spec.rule("face_too_small").number("max_upscale"),
            )
        )
    for code in crop.outside(plan, shape[1], shape[0], face, crown):
        if spec.has(code) and code not in [p.code for p in problems]:
            problems.append(Problem(code))
