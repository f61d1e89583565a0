"""Problem codes (stable: results, JSON, the catalogue's `photo.problem.<code>`),
and the order in which the citizen should put them right."""

from __future__ import annotations

from dataclasses import dataclass

# What to fix first: be there alone, then where and how big, then the head, the
# face, and last what the kiosk's light and the background decide.
RANK = (
    "no_face",
    "multiple_faces",
    "compression",  # a picture spoilt by its encoding: nothing else of it can be judged
    "not_colour",
    "face_too_small",
    "head_cut_off",
    "too_far",
    "too_close",
    "off_centre",
    "head_covering",
    "yaw",
    "pitch",
    "roll",
    "eyes_closed",
    "mouth_open",
    "tinted_glasses",
    "glasses_glare",
    "ears_hidden",
    "underexposed",
    "overexposed",
    "uneven_lighting",
    "blurred",
    "background_wrong_colour",
    "background_not_uniform",
    "file_size",  # no JPEG quality lands in the spec's file-size window
)


@dataclass(frozen=True)
class Problem:
    code: str
    value: float | None = None
    limit: float | None = None

    @property
    def message_id(self) -> str:
        return f"photo.problem.{self.code}"
