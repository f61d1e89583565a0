"""How long a technician waits for `kiosk` to answer.

Prints one JSON object: median and worst wall time of `kiosk --version` and
`kiosk config check` over 10 runs each (a new process every time).
Target: median under 0.5 s for both.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

KIOSK = str(Path(sys.executable).parent / "kiosk")
RUNS = 10


def timed(*args: str) -> list[float]:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([KIOSK, *args], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    result: dict[str, object] = {"benchmark": "cli_start", "runs": RUNS, "target_median_s": 0.5}
    for name, args in {"version": ["--version"], "config_check": ["config", "check"]}.items():
        times = timed(*args)
        result[f"{name}_median_s"] = round(statistics.median(times), 3)
        result[f"{name}_max_s"] = round(max(times), 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
