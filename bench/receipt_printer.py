"""The receipt printer's parsers and driver overhead.

Prints one JSON object: frames per second through the driver's status decoder and
through the simulator's stream decoder (a status query and a text line per frame);
and the driver's own time per status command over the pty (median), which is
almost all overhead: three 3-byte requests and three 1-byte answers take about
0.5 ms of wire time at 115200 baud, and a pty has none.
Targets: each parser >= 10,000 frames/s; driver overhead median <= 5 ms.
"""

from __future__ import annotations

import json
import statistics
import time

from drivers.receipt_printer import escpos
from drivers.receipt_printer.driver import EscPosPrinter
from drivers.receipt_printer.simulator import EscPosSimulator

FRAMES = 20_000


def main() -> None:
    start = time.perf_counter()
    for i in range(FRAMES):
        escpos.decode_status(0x12, 0x12, 0x12 | (0x0C if i & 1 else 0))
    driver_parser = FRAMES / (time.perf_counter() - start)

    sim = EscPosSimulator()
    frame = bytes([0x10, 0x04, 0x04]) + "金额：40.00 元".encode("gbk") + b"\n"
    start = time.perf_counter()
    for _ in range(FRAMES):
        sim.handle(frame)
    sim_parser = FRAMES / (time.perf_counter() - start)
    sim.stop()

    sim = EscPosSimulator().start()
    printer = EscPosPrinter(str(sim.link))
    printer.open().result()
    times = []
    for _ in range(200):
        started = time.perf_counter()
        printer.query_status().result()
        times.append(time.perf_counter() - started)
    printer.close()
    sim.stop()
    print(json.dumps({
        "benchmark": "receipt_printer",
        "driver_status_parser_frames_per_s": round(driver_parser),
        "simulator_parser_frames_per_s": round(sim_parser),
        "target_parser_frames_per_s": 10_000,
        "status_command_median_ms": round(statistics.median(times) * 1000, 2),
        "target_driver_overhead_ms": 5,
    }))


if __name__ == "__main__":
    main()
