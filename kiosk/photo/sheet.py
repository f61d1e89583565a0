"""The print sheet: identical ID photos on a 6-inch sheet, at exact millimetre sizes.

A 6-inch photo sheet (152 × 102 mm, landscape) goes through the kiosk's photo printer,
and the citizen (or the clerk) cuts the photos apart. Each photo must come out at the
exact size its document demands, so the layout works in millimetres, the PDF draws each
photo at exactly that size, and the raster sheet resizes the photo to the pixel size of
those millimetres at the printer's resolution.

Coordinates are millimetres with the origin at the sheet's bottom-left corner, as in PDF.
Crop marks continue each photo's edges outwards, so a cut along them is a cut along the
edge; they stay a little away from every photo so a slightly off cut leaves no line on it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence

import cv2
import numpy as np
import numpy.typing as npt
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

Point = tuple[float, float]
Segment = tuple[float, float, float, float]  # x1, y1, x2, y2 in mm
Interval = tuple[float, float]

SHEET_MM: tuple[float, float] = (152.0, 102.0)  # 6-inch photo paper, landscape
EDGE_MM = 3.0  # photo printers do not print reliably closer to the paper's edge
GAP_MM = 2.0
MM_PER_INCH = 25.4

MARK_MM = 3.0  # longest crop mark
MARK_OFFSET_MM = 0.5  # crop marks start this far from a photo's corner
MARK_MIN_MM = 0.5  # a shorter mark (in a narrow gap) helps no one and is left out
MARK_WIDTH_PT = 0.2

_EPS = 1e-9  # floating-point slack when sizes add up exactly (e.g. 4 × 33 + 3 × 2)


def layout(
    photo_w_mm: float,
    photo_h_mm: float,
    count: int = 8,
    sheet: tuple[float, float] = SHEET_MM,
    gap_mm: float = GAP_MM,
    *,
    margin_mm: float = EDGE_MM,
) -> list[Point]:
    """The lower-left corners of up to `count` photos in a grid centred on the sheet.

    Photos are at least `gap_mm` apart and at least `margin_mm` from the sheet's edges.
    Of the grids that hold `count`, the one with the fewest empty cells is chosen (then
    the one with fewer rows); if none does, the largest grid that fits. Corners are in
    reading order (top row first, left to right); a partial last row is left-aligned so
    that every column's cut lines stay straight across the sheet.
    """
    _check_sizes(photo_w_mm, photo_h_mm, count, sheet, gap_mm, margin_mm)
    sheet_w, sheet_h = sheet
    max_cols = _fit(sheet_w - 2 * margin_mm, photo_w_mm, gap_mm)
    max_rows = _fit(sheet_h - 2 * margin_mm, photo_h_mm, gap_mm)
    if max_cols == 0 or max_rows == 0:
        raise ValueError(
            f"a {photo_w_mm:g}×{photo_h_mm:g} mm photo does not fit on a "
            f"{sheet_w:g}×{sheet_h:g} mm sheet with {margin_mm:g} mm margins"
        )
    cols, rows = _grid(count, max_cols, max_rows)
    grid_w = cols * photo_w_mm + (cols - 1) * gap_mm
    grid_h = rows * photo_h_mm + (rows - 1) * gap_mm
    left = (sheet_w - grid_w) / 2
    top = (sheet_h + grid_h) / 2
    corners = [
        (left + col * (photo_w_mm + gap_mm), top - photo_h_mm - row * (photo_h_mm + gap_mm))
        for row in range(rows)
        for col in range(cols)
    ]
    return corners[:count]


def _check_sizes(
    photo_w_mm: float,
    photo_h_mm: float,
    count: int,
    sheet: tuple[float, float],
    gap_mm: float,
    margin_mm: float,
) -> None:
    if not (photo_w_mm > 0 and photo_h_mm > 0):
        raise ValueError(f"photo size must be positive, got {photo_w_mm:g}×{photo_h_mm:g} mm")
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if not (sheet[0] > 0 and sheet[1] > 0):
        raise ValueError(f"sheet size must be positive, got {sheet[0]:g}×{sheet[1]:g} mm")
    if gap_mm < 0 or margin_mm < 0:
        raise ValueError(f"gap and margin must not be negative, got {gap_mm:g}, {margin_mm:g} mm")


def _fit(available: float, size: float, gap: float) -> int:
    """How many items of `size`, `gap` apart, fit in `available` (n·size + (n-1)·gap ≤ it)."""
    if size > available + _EPS:
        return 0
    return math.floor((available + gap) / (size + gap) + _EPS)


def _grid(count: int, max_cols: int, max_rows: int) -> tuple[int, int]:
    """Columns and rows for `count` photos: no more cells than needed, then fewer rows."""
    if max_cols * max_rows <= count:
        return max_cols, max_rows
    grids = [
        (cols, rows)
        for cols in range(1, max_cols + 1)
        for rows in range(1, max_rows + 1)
        if cols * rows >= count
    ]
    return min(grids, key=lambda grid: (grid[0] * grid[1], grid[1]))


def crop_marks(
    corners: Sequence[Point],
    photo_w_mm: float,
    photo_h_mm: float,
    sheet: tuple[float, float] = SHEET_MM,
) -> list[Segment]:
    """Short lines continuing each photo's edges outwards from its corners.

    A mark starts MARK_OFFSET_MM from the corner and runs up to MARK_MM, stopping
    MARK_OFFSET_MM short of any other photo in its way and at the sheet's edge; so no
    mark ever touches a photo. Marks too short to see are left out, and a mark shared by
    two neighbours (in the gap between them) is given once.
    """
    rects = [(x, y, x + photo_w_mm, y + photo_h_mm) for x, y in corners]
    marks: dict[Segment, None] = {}  # a dict keeps the order and drops duplicates
    for x0, y0, x1, y1 in rects:
        for cx, cy, sx, sy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
            # Along the horizontal edge at cy, outwards in x; blockers: photos crossing y=cy.
            blocks = [(r[0], r[2]) for r in rects if r[1] - _EPS <= cy <= r[3] + _EPS]
            start = cx + sx * MARK_OFFSET_MM
            end = _reach(start, sx, sheet[0], blocks)
            if (end - start) * sx >= MARK_MIN_MM - _EPS:  # negative: no room at all
                _add(marks, (start, cy, end, cy))
            # Along the vertical edge at cx, outwards in y; blockers: photos crossing x=cx.
            blocks = [(r[1], r[3]) for r in rects if r[0] - _EPS <= cx <= r[2] + _EPS]
            start = cy + sy * MARK_OFFSET_MM
            end = _reach(start, sy, sheet[1], blocks)
            if (end - start) * sy >= MARK_MIN_MM - _EPS:
                _add(marks, (cx, start, cx, end))
    return list(marks)


def _reach(start: float, step: int, sheet_size: float, blocks: Iterable[Interval]) -> float:
    """Where a mark from `start` in direction `step` (±1) must end, along one axis."""
    if step < 0:
        end = max(start - MARK_MM, 0.0)
        for low, high in blocks:
            if low < start:
                end = max(end, high + MARK_OFFSET_MM)
    else:
        end = min(start + MARK_MM, sheet_size)
        for low, high in blocks:
            if high > start:
                end = min(end, low - MARK_OFFSET_MM)
    return end


def _add(marks: dict[Segment, None], segment: Segment) -> None:
    x1, y1, x2, y2 = segment
    if (x2, y2) < (x1, y1):  # one direction, so the neighbours' copies of a mark coincide
        x1, y1, x2, y2 = x2, y2, x1, y1
    marks[(round(x1, 6), round(y1, 6), round(x2, 6), round(y2, 6))] = None


def sheet_pdf(
    photo_jpeg: bytes,
    photo_w_mm: float,
    photo_h_mm: float,
    count: int = 8,
    *,
    gap_mm: float = GAP_MM,
    margin_mm: float = EDGE_MM,
) -> bytes:
    """A one-page 152 × 102 mm PDF: the photo at exactly its size at each position.

    The JPEG goes in as it is (DCTDecode, no second compression) and once: every
    position draws the same image XObject.
    """
    if not photo_jpeg.startswith(b"\xff\xd8\xff"):
        raise ValueError("the photo must be a JPEG (it is embedded as it is)")
    corners = layout(photo_w_mm, photo_h_mm, count, SHEET_MM, gap_mm, margin_mm=margin_mm)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(SHEET_MM[0] * mm, SHEET_MM[1] * mm))
    image = ImageReader(io.BytesIO(photo_jpeg))
    for x, y in corners:
        pdf.drawImage(image, x * mm, y * mm, width=photo_w_mm * mm, height=photo_h_mm * mm)
    pdf.setLineWidth(MARK_WIDTH_PT)
    pdf.setStrokeColorRGB(0, 0, 0)
    marks = crop_marks(corners, photo_w_mm, photo_h_mm)
    pdf.lines([(x1 * mm, y1 * mm, x2 * mm, y2 * mm) for x1, y1, x2, y2 in marks])
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def mm_to_px(length_mm: float, dpi: int) -> int:
    """A length in whole pixels at `dpi`: how the raster sheet sizes and places photos."""
    return round(length_mm / MM_PER_INCH * dpi)


def sheet_png(
    photo_bgr: npt.NDArray[np.uint8],
    photo_w_mm: float,
    photo_h_mm: float,
    count: int = 8,
    dpi: int = 300,
    *,
    gap_mm: float = GAP_MM,
    margin_mm: float = EDGE_MM,
) -> npt.NDArray[np.uint8]:
    """The same sheet as a BGR image at `dpi`, for printers fed with images.

    The photo is resized (INTER_AREA) to the pixel size of its millimetres. Crop marks
    are drawn first and photos pasted over them, so that pixel rounding can never put a
    mark on a photo.
    """
    if photo_bgr.ndim != 3 or photo_bgr.shape[2] != 3 or photo_bgr.dtype != np.uint8:
        raise ValueError(f"the photo must be an 8-bit BGR image, got {photo_bgr.shape}")
    if dpi < 1:
        raise ValueError(f"dpi must be positive, got {dpi}")
    corners = layout(photo_w_mm, photo_h_mm, count, SHEET_MM, gap_mm, margin_mm=margin_mm)
    sheet_h_mm = SHEET_MM[1]
    image = np.full((mm_to_px(sheet_h_mm, dpi), mm_to_px(SHEET_MM[0], dpi), 3), 255, np.uint8)
    for x1, y1, x2, y2 in crop_marks(corners, photo_w_mm, photo_h_mm):
        start = (mm_to_px(x1, dpi), mm_to_px(sheet_h_mm - y1, dpi))
        end = (mm_to_px(x2, dpi), mm_to_px(sheet_h_mm - y2, dpi))
        thickness = max(1, round(MARK_WIDTH_PT / 72 * dpi))
        cv2.line(image, start, end, (0, 0, 0), thickness, cv2.LINE_8)
    width, height = mm_to_px(photo_w_mm, dpi), mm_to_px(photo_h_mm, dpi)
    photo = cv2.resize(photo_bgr, (width, height), interpolation=cv2.INTER_AREA)
    for x, y in corners:
        # With zero margins, rounding could push the last pixel past the sheet's edge.
        left = min(mm_to_px(x, dpi), image.shape[1] - width)
        top = min(mm_to_px(sheet_h_mm - y - photo_h_mm, dpi), image.shape[0] - height)
        image[top : top + height, left : left + width] = photo
    return image
