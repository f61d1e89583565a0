"""Pen reports made into a signature: strokes in the signing box, taps on the pad's
buttons, reports the pad could not have meant.

The pad's surface (frames.Capabilities: 0..x_max, 0..y_max) is laid out as the pad
shows it: the signing box on top (`box`, a share of the height, 0.75 by default),
below it two buttons side by side, 重签 (`clear`, left) and 确认 (`confirm`, right).
A button is pressed as on a touchscreen: the pen touches down on it and lifts off
it. A stroke begun in the box stays ink even where it strays below the box's edge
(held at the edge); one begun on a button is never ink.

A report beyond the ranges the pad itself announced (a failing sensor, noise that
passed the sync bit) is dropped and counted (`rejected`), never drawn.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from drivers.signature_pad.frames import Capabilities, PenReport

BUTTONS = ("clear", "confirm")  # left to right in the strip below the box


@dataclass(frozen=True)
class PenPoint:
    x: int  # sensor units, from the signing box's top left corner
    y: int
    pressure: int  # 0 .. pressure_max
    t: float  # seconds since the capture began, stamped on arrival


@dataclass
class Ink:
    """The signature as the pad wrote it; `ended_by` the pad's or the screen's 确认."""

    width: int  # the signing box, sensor units
    height: int
    pressure_max: int
    strokes: list[list[PenPoint]] = field(default_factory=list)
    ended_by: str = ""
    rejected: int = 0

    @property
    def points(self) -> int:
        return sum(len(s) for s in self.strokes)

    @property
    def duration_s(self) -> float:
        """From the first touch to the last lift."""
        if not self.points:
            return 0.0
        return self.strokes[-1][-1].t - self.strokes[0][0].t

    def length(self) -> float:
        """The ink's path length in widths of the signing box (a dot: 0)."""
        total = 0.0
        for stroke in self.strokes:
            for a, b in itertools.pairwise(stroke):
                total += math.hypot(b.x - a.x, b.y - a.y)
        return total / self.width


@dataclass(frozen=True)
class InkEvent:
    """News of a capture while it runs: the pad sampling (ready for the pen), a
    point of stroke `stroke`, the ink cleared, or a button of the pad tapped."""

    kind: str  # "ready", "point", "cleared", "button"
    stroke: int = -1
    point: PenPoint | None = None
    button: str = ""


class InkAssembler:
    """Reports in, strokes and button taps out; one capture's worth."""

    def __init__(self, capabilities: Capabilities, box: float = 0.75) -> None:
        self.caps = capabilities
        self.box_height = max(1, int(capabilities.y_max * box))
        self.ink = Ink(capabilities.x_max, self.box_height, capabilities.pressure_max)
        self._stroke: list[PenPoint] | None = None  # the stroke being written
        self._pressing: str | None = None  # the button the pen went down on

    def button_at(self, x: int, y: int) -> str | None:
        if y <= self.box_height:
            return None
        return BUTTONS[0] if x < self.caps.x_max / 2 else BUTTONS[1]

    def in_range(self, report: PenReport) -> bool:
        caps = self.caps
        return (
            report.x <= caps.x_max
            and report.y <= caps.y_max
            and report.pressure <= caps.pressure_max
            and report.tilt_x <= caps.tilt_x_max
            and report.tilt_y <= caps.tilt_y_max
            and (report.proximity or not report.tip)  # touching yet far away: nonsense
        )

    def feed(self, report: PenReport, t: float) -> list[InkEvent]:
        if not self.in_range(report):
            self.ink.rejected += 1
            return []
        if not report.tip:
            return self.lift(report)
        if self._stroke is None and self._pressing is None:
            button = self.button_at(report.x, report.y)
            if button is not None:
                self._pressing = button
                return []
            self._stroke = []
            self.ink.strokes.append(self._stroke)
        if self._stroke is None:  # the pen is down on a button
            return []
        point = PenPoint(report.x, min(report.y, self.box_height), report.pressure, t)
        self._stroke.append(point)
        return [InkEvent("point", len(self.ink.strokes) - 1, point)]

    def lift(self, report: PenReport | None = None) -> list[InkEvent]:
        """The pen up (`report` where it left; None: the link went, the stroke ends)."""
        pressed, self._pressing, self._stroke = self._pressing, None, None
        if pressed is None or report is None:
            return []
        if self.button_at(report.x, report.y) != pressed:
            return []  # slid off the button: no press, as on a touchscreen
        return [InkEvent("button", button=pressed)]

    def clear(self) -> InkEvent:
        self.ink.strokes = []
        self._stroke = None
        return InkEvent("cleared")
