"""The face matcher's numbers: one comparison as the identity check makes it (a 640x480
camera frame whose face the photo pipeline has already found, encoded and compared
with the document's embedding), a document photo's encoding (the ID card chip's
102x126 JPEG), the model's load time and memory, and the evaluation's FAR/FRR table
(tests/identity/evaluation.py). Prints one JSON object.
Target: comparison p95 <= 150 ms on 2 cores."""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the evaluation lives with the tests

from kiosk.identity.matcher import THRESHOLD, FaceMatcher  # noqa: E402
from kiosk.photo.faces import FaceModels  # noqa: E402
from tests.identity import evaluation  # noqa: E402
from tests.photo import framing  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    portrait = evaluation.load("obama")
    models = FaceModels(with_mask=False)
    models.find(portrait)  # the mesh loaded and warm: it is not the matcher's cost
    matcher = FaceMatcher(models)

    before, started = rss_kb(), time.perf_counter()
    matcher._network()  # the load measured alone
    load_ms = (time.perf_counter() - started) * 1000
    rss_mb = (rss_kb() - before) / 1024

    chip_models = FaceModels()
    chip, _ = evaluation.chip_photo(evaluation.load("obama_blue_room"), chip_models)
    chip_models.close()
    document_ms = []
    for _ in range(10):
        started = time.perf_counter()
        reference = matcher.encode_document(chip)
        document_ms.append((time.perf_counter() - started) * 1000)

    box = tuple(float(v) for v in models.find(portrait).faces[0].box)
    frame = framing.framed(portrait, box, 640, 480)  # type: ignore[arg-type]
    compare_ms = []
    for n in range(30):
        shifted = np.roll(frame, n % 3, axis=1)  # not the very same frame each time
        face = models.find(shifted).faces[0]  # the photo pipeline's work, not timed
        started = time.perf_counter()
        matcher.compare(matcher.encode(shifted, face), reference)
        compare_ms.append((time.perf_counter() - started) * 1000)
    matcher.close()
    models.close()

    print(
        json.dumps(
            {
                "benchmark": "face",
                "threshold": THRESHOLD,
                "compare_640x480_median_ms": round(statistics.median(compare_ms), 1),
                "compare_640x480_p95_ms": round(percentile(compare_ms, 0.95), 1),
                "encode_document_chip_median_ms": round(statistics.median(document_ms), 1),
                "encode_document_chip_p95_ms": round(percentile(document_ms, 0.95), 1),
                "model_load_ms": round(load_ms, 1),
                "model_rss_increase_mb": round(rss_mb, 1),
                "evaluation": evaluation.evaluate(),
                "targets": {"compare_640x480_p95_ms": 150},
            }
        )
    )


if __name__ == "__main__":
    main()
