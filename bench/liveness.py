"""The liveness check's error rates on what tests/identity/sequences.py generates:
real head turns (portraits re-rendered turned 18-24 degrees, 4 faces) and the
simulated citizen's blink as bona fide; prints and a phone screen tilted 25-55
degrees and prints held still as attacks, each attack tried with every challenge
it could be asked. APCER: attacks accepted / attacks; BPCER: bona fide refused /
bona fide (and the same when the check is given landmarks only, no pixels);
the time from the first frontal frame to the decision at 10 analysed frames/s.
Prints one JSON object. Targets: APCER 0, BPCER 0, decided within 3 s."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the sequences live with the tests

from tests.identity import sequences  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    found = sequences.rates(sequences.outcomes())
    # the same without the frames (feed() given landmarks only): the mesh's own
    # parallax, which a photo tilted far fools
    alone = sequences.rates(sequences.outcomes(pixels=False))
    landmarks_only = {k: alone[k] for k in ("apcer", "bpcer", "attacks_accepted", "accepted")}
    frames = found.pop("frames_to_decision_max")
    median = found.pop("frames_to_decision_median")
    assert isinstance(frames, int) and isinstance(median, int)
    found.update(
        {
            "analysed_fps": sequences.FPS,
            "decision_frames_median": median,
            "decision_frames_max": frames,
            "decision_s_max": frames / sequences.FPS,
            "landmarks_only": landmarks_only,
            "bench_s": round(time.perf_counter() - started, 1),
        }
    )
    print(json.dumps(found))


if __name__ == "__main__":
    main()
