"""A signature as a PNG at the size an application asks (e.g. 600 x 200 px).

Black ink on white, grey-scale. The ink is trimmed to its own extent, fitted into
the picture keeping its proportions and centred, a margin of the widest line kept
free all round: the signature fills the form's box whatever corner of the pad it
was written in. The pen's pressure is the line's width, from a quarter of the
widest line (a touch) to the widest (`height / 25`, at least 2 px) at full
pressure. Drawn three times larger and scaled down, for smooth edges.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from drivers.signature_pad.ink import Ink

SUPERSAMPLE = 3


def widest_px(height: int) -> float:
    return max(2.0, height / 25)


def placement(ink: Ink, width: int, height: int) -> tuple[float, float, float]:
    """(scale, dx, dy): a pad point (x, y) is drawn at (x * scale + dx, y * scale + dy)."""
    points = [p for stroke in ink.strokes for p in stroke]
    if not points:
        return 1.0, 0.0, 0.0
    left, right = min(p.x for p in points), max(p.x for p in points)
    top, bottom = min(p.y for p in points), max(p.y for p in points)
    margin = widest_px(height) + 1
    room_w, room_h = max(1.0, width - 2 * margin), max(1.0, height - 2 * margin)
    scale = min(room_w / max(1, right - left), room_h / max(1, bottom - top))
    dx = (width - (right - left) * scale) / 2 - left * scale
    dy = (height - (bottom - top) * scale) / 2 - top * scale
    return scale, dx, dy


def render_png(ink: Ink, width: int, height: int) -> bytes:
    if width < 16 or height < 16:
        raise ValueError(f"a signature of {width} x {height} px is too small to read")
    big = SUPERSAMPLE
    picture = Image.new("L", (width * big, height * big), 255)
    pen = ImageDraw.Draw(picture)
    scale, dx, dy = placement(ink, width, height)
    widest = widest_px(height)
    thinnest = widest / 4
    top = max(1, ink.pressure_max)

    def at(x: int, y: int) -> tuple[float, float]:
        return (x * scale + dx) * big, (y * scale + dy) * big

    def radius(pressure: int) -> float:
        return (thinnest + (widest - thinnest) * min(pressure, top) / top) * big / 2

    for stroke in ink.strokes:
        for i, point in enumerate(stroke):
            x, y = at(point.x, point.y)
            r = radius(point.pressure)
            pen.ellipse((x - r, y - r, x + r, y + r), fill=0)  # round joins and ends
            if i:
                before = stroke[i - 1]
                line_width = radius(before.pressure) + r  # two half-widths: the mean width
                pen.line((at(before.x, before.y), (x, y)), fill=0, width=round(line_width))
    small = picture.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()
