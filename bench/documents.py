"""Printed documents: rendering and verification times.

Prints one JSON object: median of 20 renders of an A4 proof PDF (fonts loaded
once beforehand, as in a running kiosk), of a slip built as the printer's slip
model, and of the same slip drawn as PDF; median of 10 verifications of a
300-dpi scan of the proof (read, find the QR code, check the signature).
Targets: A4 proof <= 100 ms; slip <= 10 ms (the ESC/POS encoding itself is the
receipt-printer driver's); verification <= 500 ms.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from kiosk.documents.fonts import fonts
from kiosk.documents.gallery import PACK, RARE_NAME, samples
from kiosk.documents.keys import keygen
from kiosk.documents.proofs import issue
from kiosk.documents.slips import SlipContext, pickup_slip, slip_pdf
from kiosk.documents.verify import verify_file


def median_ms(action, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    fonts()
    with tempfile.TemporaryDirectory() as folder:
        key = keygen(Path(folder), "bench")
        request = samples(date.today())["criminal_record"]
        proof_ms = median_ms(lambda: issue(request, key, PACK), 20)
        context = SlipContext("BJ-DC-0007", "T-1", datetime(2026, 11, 23, 3, 12))
        slip = pickup_slip(context, RARE_NAME, "有效期满换领", "邮寄到家")
        slip_ms = median_ms(lambda: pickup_slip(context, RARE_NAME, "有效期满换领", "邮寄到家"), 20)
        slip_pdf_ms = median_ms(lambda: slip_pdf(slip), 20)
        pdf = Path(folder) / "proof.pdf"
        pdf.write_bytes(issue(request, key, PACK).pdf)
        subprocess.run(
            ["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", str(pdf), f"{folder}/scan"],
            check=True,
        )
        trusted = {key.key_id: key.private.public_key()}
        scan = Path(folder) / "scan.png"
        verify_ms = median_ms(lambda: verify_file(scan, trusted, date.today()), 10)
    print(
        json.dumps(
            {
                "benchmark": "documents",
                "a4_proof_pdf_ms": proof_ms,
                "target_a4_proof_pdf_ms": 100,
                "slip_model_ms": slip_ms,  # building the model; 0.0 means under 0.05 ms
                "slip_pdf_ms": slip_pdf_ms,
                "target_slip_ms": 10,
                "verify_300dpi_scan_ms": verify_ms,
                "target_verify_ms": 500,
            }
        )
    )


if __name__ == "__main__":
    main()
