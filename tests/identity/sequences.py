"""Frame sequences for the liveness check, at 10 analysed frames a second: a real
head turning (the portrait re-rendered with its head turned, tests/photo/warps.py,
with real parallax) and flat attacks (the same frontal portrait as a printed photo
tilted and moved in front of the camera: one plane seen in perspective, so one
homography maps every point of it; a phone screen adds gamma, moiré and a bezel).

    python -m tests.identity.sequences      prints the measurements the thresholds in
                                            kiosk/identity/liveness.py come from.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from kiosk.photo.faces import FaceModels
from tests.photo import evaluation, renders, warps

CITIZEN = Path(__file__).resolve().parents[2] / "drivers" / "camera" / "citizen"
FPS = 10.0
# the frontal faces: the simulated citizen and the test portraits that face the
# camera within 10 degrees (raw biden.jpg turns 10.7; the citizen is it, frontalised)
FACE_FILES = {
    "citizen": CITIZEN / "front.jpg",
    "grace_hopper": evaluation.FACES / "grace_hopper.jpg",
    "obama": evaluation.FACES / "obama.jpg",
    "astronaut": evaluation.FACES / "astronaut.png",
}
HOLD = 4  # frontal frames before the move (0.4 s)


@dataclass(frozen=True)
class Sequence:
    name: str  # e.g. "citizen turn +24" or "citizen print tilt 40"
    attack: bool
    frames: list[np.ndarray]


@cache
def face(name: str) -> np.ndarray:
    image = cv2.imread(str(FACE_FILES[name]))
    if image is None:
        raise FileNotFoundError(FACE_FILES[name])
    return image


def ramp(peak: float, steps: int = 3) -> list[float]:
    """0 -> peak -> 0 in `steps` frames each way (0.3 s out, 0.3 s back at 10/s)."""
    out = [peak * (n + 1) / steps for n in range(steps)]
    return out + out[-2::-1] + [0.0, 0.0]


@cache
def _turned(name: str, yaw: float) -> np.ndarray:
    image = face(name)
    if yaw == 0:
        return image
    return warps.turn(image, _points(name), yaw, 0.0, 0.0)


@cache
def _points(name: str) -> np.ndarray:
    return renders.landmarks(face(name))


def real_turn(name: str, peak: float) -> Sequence:
    frames = [face(name)] * HOLD + [_turned(name, yaw) for yaw in ramp(peak)]
    return Sequence(f"{name} turn {peak:+.0f}", False, frames)


def tilt(image: np.ndarray, yaw: float, pitch: float = 0.0, shift: float = 0.0) -> np.ndarray:
    """A printed photo of `image` turned about its own vertical axis by `yaw` and
    horizontal axis by `pitch` degrees and moved sideways by `shift` of its width, as
    a camera of one image width's focal length sees it: one homography."""
    h, w = image.shape[:2]
    f = float(w)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    # the photo held 2.5 focal lengths away (an arm's length for a webcam)
    depth = 2.5 * f
    a, b = math.radians(yaw), math.radians(pitch)
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    space = np.column_stack([corners[:, 0] - w / 2, corners[:, 1] - h / 2, np.zeros(4)])
    space = space @ (ry @ rx).T + [shift * w * 2.5, 0, depth]
    seen = space[:, :2] / space[:, 2:] * depth + [w / 2, h / 2]
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), seen.astype(np.float32))
    return cv2.warpPerspective(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)


def screen(image: np.ndarray) -> np.ndarray:
    """The portrait on a phone's screen: its gamma, a moiré of its pixel grid beating
    against the camera's, and a black bezel around it."""
    h, w = image.shape[:2]
    light = (255 * (image / 255.0) ** 0.8).astype(np.float32)
    ys, xs = np.mgrid[0:h, 0:w]
    moire = 1 + 0.06 * np.sin(2 * math.pi * (xs * 0.13 + ys * 0.05))
    shown = np.clip(light * moire[..., None], 0, 255).astype(np.uint8)
    small = cv2.resize(shown, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    framed = np.zeros_like(image)
    y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    framed[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return framed


def flat_attack(name: str, peak: float, pitch: float = 0.0, phone: bool = False) -> Sequence:
    """The frontal portrait held up and turned by `peak` degrees and back, drifting
    sideways as a hand does."""
    image = screen(face(name)) if phone else face(name)
    angles = ramp(peak)
    frames = [image] * HOLD + [
        tilt(image, yaw, pitch * yaw / peak, 0.03 * yaw / peak) for yaw in angles
    ]
    kind = "phone" if phone else "print"
    return Sequence(f"{name} {kind} tilt {peak:+.0f}/{pitch:+.0f}", True, frames)


def bona_fide() -> list[Sequence]:
    return [real_turn(name, peak) for name in FACE_FILES for peak in (24.0, -24.0, 18.0, -18.0)]


def attacks() -> list[Sequence]:
    found = []
    for name in FACE_FILES:
        for peak in (25.0, -25.0, 40.0, -40.0, 55.0):
            found.append(flat_attack(name, peak))
        found.append(flat_attack(name, 40.0, pitch=15.0))
        found.append(flat_attack(name, -40.0, phone=True))
    return found


def landmarks(frames: list[np.ndarray]) -> Iterator[tuple[np.ndarray | None, int]]:
    """The face mesh's landmarks frame by frame, as the kiosk's stream sees them, and
    the count of faces."""
    models = FaceModels(stream=True, with_mask=False)
    try:
        for frame in frames:
            found = models.find(frame)
            yield (found.faces[0].points if found.faces else None), found.count
    finally:
        models.close()


def blink(name: str = "citizen") -> Sequence:
    """The simulated citizen's blink: eyes shut for 2 frames (0.2 s)."""
    front = cv2.imread(str(CITIZEN / "front.jpg"))
    shut = cv2.imread(str(CITIZEN / "closed.jpg"))
    return Sequence(f"{name} blink", False, [front] * HOLD + [shut] * 2 + [front] * 3)


def still_print(name: str) -> Sequence:
    """A photo held still in front of the camera: nothing moves, nothing blinks."""
    return Sequence(f"{name} print held still", True, [face(name)] * 30)


@dataclass(frozen=True)
class Outcome:
    sequence: str
    challenge: str
    attack: bool
    state: str
    reason: str | None
    frames_to_decision: int | None  # from the first frontal frame


def run(sequence: Sequence, challenge: str, limit_s: float = 8.0, pixels: bool = True) -> Outcome:
    """The sequence through the liveness check at 10 frames/s; after its last frame
    the last frame is held until the time limit (a photo stays where it is).
    `pixels` False: the frames are not given, only their landmarks."""
    from kiosk.identity.liveness import Liveness

    check = Liveness(challenge, started_at=0.0, limit_s=limit_s)
    h, w = sequence.frames[0].shape[:2]
    seen = list(landmarks(sequence.frames))
    held = int(limit_s * FPS) + 2 - len(seen)
    frames = sequence.frames + [sequence.frames[-1]] * max(0, held)
    seen += [seen[-1]] * max(0, held)
    verdict = None
    for n, (frame, (points, count)) in enumerate(zip(frames, seen, strict=True)):
        verdict = check.feed(n / FPS, points, w, h, count, image=frame if pixels else None)
        if verdict.state != "waiting":
            break
    assert verdict is not None
    decided = None
    if check.facing_at is not None and check.decided_at is not None:
        decided = round((check.decided_at - check.facing_at) * FPS)
    return Outcome(
        sequence.name, challenge, sequence.attack, verdict.state, verdict.reason, decided
    )


def outcomes(pixels: bool = True) -> list[Outcome]:
    """Every bona fide sequence with the challenge it performs; every attack with
    each challenge it could be asked (the attacker tries them all)."""
    found = []
    for sequence in bona_fide():
        asked = "turn_left" if "+" in sequence.name else "turn_right"
        found.append(run(sequence, asked, pixels=pixels))
    found.append(run(blink(), "blink", pixels=pixels))
    for sequence in attacks():
        found += [run(sequence, turn, pixels=pixels) for turn in ("turn_left", "turn_right")]
    for name in FACE_FILES:
        found += [
            run(still_print(name), challenge, pixels=pixels) for challenge in ("blink", "turn_left")
        ]
    return found


def rates(found: list[Outcome]) -> dict[str, object]:
    """APCER (attacks accepted / attacks) and BPCER (bona fide refused / bona fide)."""
    attacks_ = [o for o in found if o.attack]
    genuine = [o for o in found if not o.attack]
    accepted = [o for o in attacks_ if o.state == "passed"]
    refused = [o for o in genuine if o.state != "passed"]
    reasons: dict[str, int] = {}
    for o in attacks_:
        key = o.reason or o.state
        reasons[key] = reasons.get(key, 0) + 1
    to_decision = [o.frames_to_decision for o in genuine if o.frames_to_decision is not None]
    return {
        "apcer": len(accepted) / len(attacks_),
        "bpcer": len(refused) / len(genuine),
        "attacks": len(attacks_),
        "attacks_accepted": len(accepted),
        "attacks_refused_by": reasons,
        "bona_fide": len(genuine),
        "bona_fide_refused": len(refused),
        "refused": [(o.sequence, o.challenge, o.reason) for o in refused],
        "accepted": [(o.sequence, o.challenge) for o in accepted],
        "frames_to_decision_max": max(to_decision),
        "frames_to_decision_median": sorted(to_decision)[len(to_decision) // 2],
    }


def main() -> None:
    from kiosk.identity import liveness
    from kiosk.photo.pose import head_pose

    for sequence in bona_fide() + attacks():
        h, w = sequence.frames[0].shape[:2]
        first: tuple[np.ndarray, np.ndarray, float] | None = None
        turn, landmark, pixel = 0.0, 0.0, 0.0
        for frame, (points, _) in zip(sequence.frames, landmarks(sequence.frames), strict=True):
            if points is None:
                continue
            yaw = head_pose(points, w, h)[0]
            if first is None:
                first = (frame, points, yaw)
            if abs(yaw - first[2]) > abs(turn):
                turn = yaw - first[2]
                landmark = liveness.parallax(first[1], points)
                pixel = liveness.pixel_parallax(first[0], first[1], frame, points)
        print(
            f"{sequence.name:34s} turn {turn:+6.1f}  landmarks {landmark:.4f}  pixels {pixel:.4f}"
        )
    print(rates(outcomes()))


if __name__ == "__main__":
    main()
