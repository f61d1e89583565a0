"""One verdict on a picture, the same wherever it is asked: the live screen, `kiosk
photo check` and `kiosk photo make` all split an analysis's problems here into what
refuses the picture, what making the photo puts right, and what lies within the
measurement's own uncertainty of its limit.

A technician who runs `photo check` thus sees what the citizen will see: a busy
wall behind a clean face is listed as fixed (the background is replaced), not as
a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kiosk.photo.checks import Analysis
from kiosk.photo.problems import Problem
from kiosk.photo.spec import PhotoSpec

Stage = Literal["live", "still", "output"]

# What making the photo puts right: the crop levels the eyes and places the head
# wherever it was in the still, and the background is replaced.
FIXED_BY_MAKING = frozenset({"roll", "too_far", "too_close", "off_centre",
                             "background_not_uniform", "background_wrong_colour"})  # fmt: skip
# Live, the citizen still has to step into the guide; the rest is fixed as above.
# A measure within its uncertainty of the limit refuses nothing, live or still: a
# face the still would take is never kept waiting on the live screen.
FIXED_LIVE = FIXED_BY_MAKING - {"too_far", "too_close", "off_centre"}


@dataclass(frozen=True)
class Verdict:
    refused: list[Problem]
    fixed: list[Problem]
    borderline: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.refused

    def as_dict(self) -> dict[str, Any]:
        def listed(problems: list[Problem]) -> list[dict[str, Any]]:
            return [{"code": p.code, "value": p.value, "limit": p.limit} for p in problems]

        return {
            "ok": self.ok,
            "problems": listed(self.refused),
            "fixed": listed(self.fixed),
            "borderline": listed(self.borderline),
        }


def decide(analysis: Analysis, spec: PhotoSpec, stage: Stage) -> Verdict:
    """`live`: a preview frame; `still`: a picture a photo is to be made of;
    `output`: the finished photo, where nothing is left to fix."""
    fixable = {"live": FIXED_LIVE, "still": FIXED_BY_MAKING, "output": frozenset()}[stage]
    refused, fixed, borderline = [], [], []
    for problem in analysis.problems:
        if problem.code in fixable:
            fixed.append(problem)
        elif _within_uncertainty(problem, spec):
            borderline.append(problem)
        else:
            refused.append(problem)
    return Verdict(refused, fixed, borderline)


def _within_uncertainty(problem: Problem, spec: PhotoSpec) -> bool:
    """Over its limit by no more than the measurement's stated uncertainty."""
    if problem.value is None or problem.limit is None or not spec.has(problem.code):
        return False
    uncertainty = spec.rule(problem.code).optional("uncertainty")
    return uncertainty is not None and abs(problem.value) <= problem.limit + uncertainty
