"""The `sign` step on the signature pad: the citizen signs with the pad's pen.

The screen shows the ink as it is written (the strokes go to it in the `progress`
news, a few times a second) with 重签 / Sign again and 确认 / Confirm; the pad has
the same two buttons below its signing box. 重签 clears the ink; 确认 takes it,
unless it is empty or too short (`min_length`: its path in widths of the signing
box), which is refused on the same screen and the pad made ready again. A taken
signature is rendered to a PNG at the size the step asks (pressure as line width),
shown for a moment as kept, and named in the step's result (`Signature`).

The PNG and the strokes are personal data: held here, in memory, for the session
only (`signature(ref)` for the screen and the steps that send it), wiped at the
session's end, never logged; the result only names the signature.

News: `{"sign": "ready"}` (the pad samples, the box is empty), `"writing"` (with
`ink`: a list of strokes, each a flat list x, y, pressure, x, y, ... from 0 to 1
across the pad's signing box, and `aspect`, the box's width over its height),
`"refused"` (with `why`: `empty`, `too_short`; it stays until the pen writes),
`"kept"` (with `ref`, the picture's address). The screen's taps come back through
`sign_decide("again" | "confirm")`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from drivers.signature_pad.ink import InkEvent
from drivers.signature_pad.render import render_png
from kiosk.steps.devices import Finish, failure

CAPTURE_S = 600.0  # the flow's own step timeout ends a capture before this does
NEWS_S = 0.08  # the ink goes to the screen at most this often (12 times a second)
KEPT_S = 1.0  # the kept signature shown before the flow goes on
CLOSE = 0.004  # a point this near the last one shown adds nothing to the screen's ink


class LiveInk:
    """The ink as the screen draws it: points scaled to the signing box, thinned."""

    def __init__(self, width: int, height: int, pressure_max: int) -> None:
        self.width, self.height, self.top = max(1, width), max(1, height), max(1, pressure_max)
        self.strokes: list[list[float]] = []
        self.dirty = False
        self.written = False  # the pen wrote during this capture (if cleared since)
        self._stroke = -1
        self._lock = threading.Lock()

    def hear(self, event: InkEvent) -> None:
        """On the pad's worker: the pad ready, a point, or the ink cleared."""
        with self._lock:
            if event.kind == "ready":
                self.dirty = True
                return
            if event.kind == "cleared":
                self.strokes, self._stroke, self.dirty = [], -1, True
                return
            point = event.point
            if event.kind != "point" or point is None:
                return
            self.written = True
            x, y = point.x / self.width, point.y / self.height
            if event.stroke != self._stroke:
                self._stroke = event.stroke
                self.strokes.append([])
            shown = self.strokes[-1]
            if len(shown) >= 3 and max(abs(shown[-3] - x), abs(shown[-2] - y)) < CLOSE:
                return
            shown.extend((round(x, 4), round(y, 4), round(point.pressure / self.top, 3)))
            self.dirty = True

    def take(self) -> list[list[float]] | None:
        """The strokes to show, if they changed since the last look."""
        with self._lock:
            if not self.dirty:
                return None
            self.dirty = False
            return [list(stroke) for stroke in self.strokes]


class SignatureCapture:
    def __init__(
        self,
        drivers: dict[str, Any],
        capture_s: float = CAPTURE_S,
        citizen: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.pad = drivers.get("signature_pad")
        self.capture_s = capture_s
        # on a simulated pad someone must sign: see kiosk/simulated.py
        self.citizen = citizen or (lambda step_type, params: None)
        self.signatures: dict[str, bytes] = {}  # the session's PNGs, by ref; wiped
        self.progress: Callable[[dict[str, Any]], None] = lambda news: None
        self._count = 0

    def serves(self, step_type: str) -> bool:
        return step_type == "sign" and self.pad is not None

    def signature(self, ref: str) -> bytes | None:
        """The PNG under `ref`, while the session lasts."""
        return self.signatures.get(ref)

    def sign_decide(self, choice: str) -> None:
        """The screen's 重签 (`again`) or 确认 (`confirm`), for the capture running."""
        if self.pad is not None:
            (self.pad.clear if choice == "again" else self.pad.confirm)()

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        pad = self.pad
        if step_type != "sign" or pad is None:
            raise ValueError(f"no signature service for {step_type}")
        width, height = int(params.get("width", 600)), int(params.get("height", 200))
        min_length = float(params.get("min_length", 0.5))
        stop = threading.Event()
        running: list[Any] = []  # the capture in progress, to cancel
        self._count += 1
        ref = f"signature-{self._count}"

        def capture(waiting: dict[str, Any]) -> Any:
            """One capture, the ink sent to the screen as it comes (`waiting`: what the
            screen says while the box is empty); its completion."""
            caps = pad.capabilities  # the driver's query reply: the box's size in its units
            box_h = int(caps.y_max * getattr(pad, "box", 0.75)) if caps else 1
            live = LiveInk(caps.x_max if caps else 1, box_h, caps.pressure_max if caps else 1)
            aspect = round(live.width / live.height, 3)
            handle = pad.capture(live.hear, self.capture_s)
            running[:] = [handle]
            while not handle.finished(NEWS_S):
                ink = live.take()
                if ink is None or stop.is_set():
                    continue
                if live.written:  # written on: a refusal is done with
                    waiting = {"sign": "ready"}
                if any(ink):
                    self.progress({"sign": "writing", "ink": ink, "aspect": aspect})
                else:
                    self.progress({**waiting, "ink": ink, "aspect": aspect})
            running.clear()
            return handle.result()

        def run() -> None:
            self.citizen("sign", params)
            waiting: dict[str, Any] = {"sign": "ready"}
            while not stop.is_set():
                done = capture(waiting)
                if stop.is_set():
                    return
                if not done.ok:
                    finish(failure(done))
                    return
                ink = done.data
                why = "empty" if not ink.points else "too_short"
                if ink.points and ink.length() >= min_length:
                    break
                waiting = {"sign": "refused", "why": why}
                self.progress(waiting)
            self.signatures[ref] = render_png(ink, width, height)
            self.progress({"sign": "kept", "ref": ref})
            if stop.wait(KEPT_S):
                return
            finish(
                {
                    "result": {
                        "signature_ref": ref,
                        "strokes": len(ink.strokes),
                        "duration_ms": round(ink.duration_s * 1000),
                        "width": width,
                        "height": height,
                    }
                }
            )

        def cancel() -> None:
            stop.set()
            for handle in list(running):
                handle.cancel()

        threading.Thread(target=run, daemon=True, name="sign").start()
        return cancel

    def wipe(self) -> None:
        self.signatures.clear()
