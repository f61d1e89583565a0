"""The camera driver: frame rate, frame age and CPU, against the MJPEG simulator.

The simulator runs in a process of its own, so this process's CPU time is the
driver's (OpenCV's decoding included). Prints one JSON object.
Targets: 1280x720 MJPG delivered at 30 fps; at most 30 % of one core; frame age at
delivery at most 50 ms.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from drivers.camera.driver import OpenCvCamera
from drivers.camera.simulator import now_ms, read_stamp

FACES = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"
SECONDS = 5.0

SIMULATOR = """
import sys, time
from pathlib import Path
from drivers.camera.simulator import CameraProfile, MjpegCameraSimulator
faces = sorted(Path(sys.argv[1]).glob("*")) if Path(sys.argv[1]).is_dir() else []
sim = MjpegCameraSimulator(CameraProfile(images=faces)).start()
print(sim.url, flush=True)
time.sleep(3600)
"""


def main() -> None:
    simulator = subprocess.Popen(
        [sys.executable, "-c", SIMULATOR, str(FACES)], stdout=subprocess.PIPE, text=True
    )
    assert simulator.stdout is not None
    url = simulator.stdout.readline().strip()
    camera = OpenCvCamera(url)
    try:
        assert camera.open(10.0).result().ok
        frames, ages = 0, []
        cpu_start, wall_start = time.process_time(), time.monotonic()
        while time.monotonic() - wall_start < SECONDS:
            frame = camera.frames.get(0.5)
            if frame is not None:
                frames += 1
                ages.append(now_ms() - read_stamp(frame.image))
        wall = time.monotonic() - wall_start
        cpu = time.process_time() - cpu_start
    finally:
        camera.close()
        simulator.kill()
        simulator.wait()
    ages.sort()
    print(
        json.dumps(
            {
                "benchmark": "camera",
                "resolution": "1280x720 MJPG",
                "delivered_fps": round(frames / wall, 1),
                "target_fps": 30,
                "driver_cpu_percent_of_one_core": round(100 * cpu / wall, 1),
                "target_cpu_percent": 30,
                "frame_age_median_ms": statistics.median(ages),
                "frame_age_p95_ms": ages[int(len(ages) * 0.95)],
                "target_frame_age_ms": 50,
                "frames_dropped_by_the_queue": camera.frames.dropped,
            }
        )
    )


if __name__ == "__main__":
    main()
