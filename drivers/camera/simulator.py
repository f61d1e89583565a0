"""A simulated IP camera: MJPEG over HTTP on loopback, as `http://127.0.0.1:PORT/video.mjpg`.

Frames come from still images with a face that drifts and light that changes, or
frames with no face. Without images it shows the simulated citizen (`citizen/`: a
real face, frontal, who can blink and turn the head for the liveness check, see
`act`); `show` puts someone else in front of the camera. Each frame carries its
capture time in a strip of black and white blocks along its top edge (`read_stamp`
decodes it), so frame age can be measured after OpenCV has decoded it. Faults:
stall (frames stop, the connection stays), disconnect (the server goes away and
comes back), black frames.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np

from drivers.simulator import FaultPlan

CITIZEN = Path(__file__).with_name("citizen")
# The citizen's moves: (frame file, seconds shown) in turn, then back to frontal.
# "turn_left" is the citizen's own left (their face to the image's right, yaw > 0).
MOVES: dict[str, tuple[tuple[str, float], ...]] = {
    "blink": (("closed.jpg", 0.2),),
    "turn_left": (
        ("left_08.jpg", 0.15),
        ("left_16.jpg", 0.15),
        ("left_24.jpg", 0.5),
        ("left_16.jpg", 0.15),
        ("left_08.jpg", 0.15),
    ),
    "turn_right": (
        ("right_08.jpg", 0.15),
        ("right_16.jpg", 0.15),
        ("right_24.jpg", 0.5),
        ("right_16.jpg", 0.15),
        ("right_08.jpg", 0.15),
    ),
}
STAMP_BITS = 48
BLOCK = 8  # pixels per stamp bit


@dataclass
class CameraProfile:
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    images: list[Path] = field(default_factory=list)  # faces; empty: the simulated citizen
    face: bool = True  # False: frames with nobody in them
    quality: int = 80


def stamp(frame: np.ndarray, at_ms: int) -> None:
    """Write the capture time (ms) into the frame's top strip."""
    for bit in range(STAMP_BITS):
        value = 255 if (at_ms >> bit) & 1 else 0
        frame[0:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value


def read_stamp(frame: np.ndarray) -> int:
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    value = 0
    for bit in range(STAMP_BITS):
        block = grey[2 : BLOCK - 2, bit * BLOCK + 2 : (bit + 1) * BLOCK - 2]
        if block.mean() > 127:
            value |= 1 << bit
    return value


def now_ms() -> int:
    return int(time.time() * 1000)


class MjpegCameraSimulator:
    name = "camera"

    def __init__(
        self, profile: CameraProfile | None = None, faults: FaultPlan | None = None
    ) -> None:
        self.profile = profile or CameraProfile()
        self.faults = faults or FaultPlan()  # asked once a frame: `stall:0.01` is 1 % of frames
        self.tcp_port = _free_port()
        self.stalled = threading.Event()
        self.black = False
        self.frames_sent = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._citizen = not self.profile.images
        self._frames: dict[str, np.ndarray] = {}  # the citizen's, by file name
        # the citizen's frames ship with the source tree; a package built without
        # them shows a plain oval, which cannot act
        self._citizen = self._citizen and (CITIZEN / "front.jpg").exists()
        self._sources = [self._load(p) for p in self.profile.images] or [
            self._citizen_frame("front.jpg") if self._citizen else self._synthetic()
        ]
        self._shown: list[np.ndarray] | None = None  # someone else, put there by show()
        self._move: tuple[float, tuple[tuple[str, float], ...]] | None = None
        self._started = time.monotonic()

    profile_class = CameraProfile

    @property
    def address(self) -> str:
        """What a driver opens: this camera's URL."""
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.tcp_port}/video.mjpg"

    def start(self) -> MjpegCameraSimulator:
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                if self.path != "/video.mjpg":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                simulator._stream(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.tcp_port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def disconnect(self, down_s: float = 1.0) -> None:
        """The camera goes away (power, cable) and comes back on the same address."""
        self.stop()
        time.sleep(down_s)
        self.start()

    def act(self, move: str) -> None:
        """The simulated citizen performs `move` ("blink": eyes shut for 0.2 s;
        "turn_left" / "turn_right": the head turns to their own left / right through
        8, 16 and 24 degrees and back, 1.1 s), then faces the camera again."""
        if move not in MOVES:
            raise ValueError(f"unknown move {move!r}: one of {sorted(MOVES)}")
        if not self._citizen or self._shown is not None:
            raise RuntimeError("only the simulated citizen can act, and someone else is shown")
        for name, _ in MOVES[move]:
            self._citizen_frame(name)  # loaded now, not while a frame is due
        self._move = (time.monotonic(), MOVES[move])

    def show(self, person: Path | str | np.ndarray | None) -> None:
        """Put someone else in front of the camera (an image file or a BGR array);
        None: the profile's own people (the simulated citizen) again."""
        if person is None:
            self._shown = None
            return
        image = person if isinstance(person, np.ndarray) else self._read(Path(person))
        self._move = None
        self._shown = [self._fit(image)]

    def _source(self, t: float) -> np.ndarray:
        move = self._move
        if move is not None:
            elapsed = time.monotonic() - move[0]
            for name, seconds in move[1]:
                if elapsed < seconds:
                    return self._frames[name]
                elapsed -= seconds
            self._move = None
        sources = self._shown or self._sources
        return sources[int(t) % len(sources)]

    def frame(self) -> np.ndarray:
        p = self.profile
        t = time.monotonic() - self._started
        if self.black:
            image = np.zeros((p.height, p.width, 3), np.uint8)
        else:
            source = self._source(t)
            image = np.full((p.height, p.width, 3), 200, np.uint8)
            if p.face:
                dx = int(40 * math.sin(t * 1.3))
                dy = int(20 * math.cos(t * 0.9))
                h, w = source.shape[:2]
                y0 = max(0, (p.height - h) // 2 + dy)
                x0 = max(0, (p.width - w) // 2 + dx)
                image[y0 : y0 + h, x0 : x0 + w] = source[: p.height - y0, : p.width - x0]
            light = 0.75 + 0.25 * math.sin(t * 0.5)  # the booth's light changes
            image = np.asarray(cv2.convertScaleAbs(image, alpha=light), dtype=np.uint8)
        stamp(image, now_ms())
        return image

    def _stream(self, handler: BaseHTTPRequestHandler) -> None:
        interval = 1.0 / self.profile.fps
        try:
            while self._server is not None:
                self._fault()
                if self.stalled.is_set():
                    time.sleep(0.05)
                    continue
                started = time.monotonic()
                _, jpeg = cv2.imencode(
                    ".jpg", self.frame(), [cv2.IMWRITE_JPEG_QUALITY, self.profile.quality]
                )
                data = jpeg.tobytes()
                handler.wfile.write(
                    b"--frame\r\nContent-Type: image/jpeg\r\n"
                    + f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                    + b"\r\n"
                )
                self.frames_sent += 1
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except (BrokenPipeError, ConnectionResetError, OSError):
            return

    def _fault(self) -> None:
        """The fault plan's word for this frame (faults of a camera: drivers/faults.py)."""
        fault = self.faults.next()
        if fault is None:
            return
        if fault.kind == "stall":
            self.stalled.set()
            self._later(fault.delay_ms or 3_000, self.stalled.clear)
        elif fault.kind == "black_frames":
            self.black = True
            self._later(fault.delay_ms or 2_000, lambda: setattr(self, "black", False))
        elif fault.kind == "disconnect":
            threading.Thread(target=self.disconnect, daemon=True).start()

    def _later(self, ms: int, then: Callable[[], object]) -> None:
        timer = threading.Timer(ms / 1000, then)
        timer.daemon = True
        timer.start()

    def _load(self, path: Path) -> np.ndarray:
        return self._fit(self._read(path))

    def _read(self, path: Path) -> np.ndarray:
        image = cv2.imread(str(path))
        if image is None:
            raise ValueError(f"{path}: not an image")
        return image

    def _fit(self, image: np.ndarray) -> np.ndarray:
        scale = min(
            self.profile.height * 0.8 / image.shape[0], self.profile.width * 0.5 / image.shape[1]
        )
        return cv2.resize(image, None, fx=scale, fy=scale)

    def _citizen_frame(self, name: str) -> np.ndarray:
        if name not in self._frames:
            self._frames[name] = self._load(CITIZEN / name)
        return self._frames[name]

    def _synthetic(self) -> np.ndarray:
        """A plain oval 'face', when the citizen's frames are missing."""
        size = int(self.profile.height * 0.6)
        image = np.full((size, int(size * 0.8), 3), 200, np.uint8)
        centre, axes = (image.shape[1] // 2, size // 2), (image.shape[1] // 3, size // 2 - 10)
        cv2.ellipse(image, centre, axes, 0, 0, 360, (150, 170, 210), -1)
        return image


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
