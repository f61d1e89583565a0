"""The camera simulator's citizen: frontal by default, blinks and turns on demand
(read back through the face mesh and the pose, as the liveness check reads them),
and can be swapped for someone else."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from drivers.camera.simulator import CITIZEN, MjpegCameraSimulator


def performed(sim: MjpegCameraSimulator, move: str | None, seconds: float) -> list[np.ndarray]:
    """Frames taken every 0.1 s while the citizen does `move` (analysed afterwards,
    so that the models' time does not skew the sampling)."""
    if move is not None:
        sim.act(move)
    frames, started = [], time.monotonic()
    for n in range(int(seconds * 10)):
        time.sleep(max(0.0, started + n / 10 - time.monotonic()))
        frames.append(sim.frame())
    return frames


def test_the_citizen_turns_left_blinks_and_passes_the_liveness_check():
    from kiosk.identity.liveness import Liveness
    from kiosk.photo.faces import FaceModels
    from kiosk.photo.measure import eye_ratio
    from kiosk.photo.pose import head_pose

    sim = MjpegCameraSimulator()
    before = performed(sim, None, 0.5)
    turning = performed(sim, "turn_left", 1.5)
    blinking = performed(sim, "blink", 0.6)
    models = FaceModels(stream=True, with_mask=False)
    check = Liveness("turn_left", 0.0)
    yaws, ratios = [], []
    for n, frame in enumerate(before + turning + blinking):
        found = models.find(frame)
        face = found.faces[0]
        yaws.append(head_pose(face.points, frame.shape[1], frame.shape[0])[0])
        ratios.append(eye_ratio(face))
        check.feed(n / 10, face.points, frame.shape[1], frame.shape[0], found.count, frame)
    models.close()
    assert abs(yaws[0]) < 5
    assert max(yaws) > 15  # the citizen's own left: yaw > 0
    assert abs(yaws[len(before) + len(turning) - 1]) < 5  # and back
    assert min(ratios[len(before) + len(turning) :]) < 0.12  # eyes shut
    assert ratios[-1] > 0.18  # and open again
    assert check.feed(3.0, None, 1280, 720).state == "passed"


def test_unknown_moves_and_strangers():
    sim = MjpegCameraSimulator()
    with pytest.raises(ValueError, match="unknown move"):
        sim.act("wave")
    citizen = sim.frame()[40:, :]
    stranger = np.zeros((400, 300, 3), np.uint8)
    sim.show(stranger)
    assert sim.frame()[300, 640].max() < 60  # the black stranger, lit or not
    with pytest.raises(RuntimeError):
        sim.act("blink")
    sim.show(None)
    assert np.abs(sim.frame()[40:, :].astype(int) - citizen).mean() < 40
    assert (CITIZEN / "card.jpg").stat().st_size <= 1024
    card = cv2.imread(str(CITIZEN / "card.jpg"))
    assert card is not None and card.shape == (126, 102, 3)
