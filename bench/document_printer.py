"""A print job from submission to completion, through a real private CUPS to the
simulated A4 printer. Prints one JSON object. Target: at most 2 s."""

from __future__ import annotations

import json
import statistics
import time

from drivers.conformance.document_printer import pdf
from drivers.document_printer.driver import CupsDocumentPrinter
from drivers.document_printer.simulator import CupsPrinterSimulator


def main() -> None:
    sim = CupsPrinterSimulator().start()
    printer = CupsDocumentPrinter(sim.address)
    document = pdf(1)
    try:
        printer.open().result()
        times = []
        for _ in range(10):
            started = time.perf_counter()
            assert printer.print_pdf(document).result().ok
            times.append(time.perf_counter() - started)
    finally:
        printer.close()
        sim.stop()
    print(
        json.dumps(
            {
                "benchmark": "document_printer",
                "job_submitted_to_completed_median_s": round(statistics.median(times), 3),
                "job_submitted_to_completed_max_s": round(max(times), 3),
                "target_s": 2.0,
            }
        )
    )


if __name__ == "__main__":
    main()
