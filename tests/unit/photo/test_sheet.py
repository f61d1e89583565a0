from __future__ import annotations

import re
import shutil
import subprocess
from itertools import combinations
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.photo.sheet import (
    EDGE_MM,
    MARK_OFFSET_MM,
    SHEET_MM,
    crop_marks,
    layout,
    mm_to_px,
    sheet_pdf,
    sheet_png,
)

SHEET_W, SHEET_H = SHEET_MM
TOP_BGR = (200, 120, 40)  # the photo's upper half: shows the photo is not drawn upside down
BOTTOM_BGR = (40, 160, 220)


def _photo(width: int = 307, height: int = 378) -> np.ndarray:
    """A test photo: two flat colours, so every pixel of it is recognisable on the sheet."""
    photo = np.empty((height, width, 3), np.uint8)
    photo[: height // 2] = TOP_BGR
    photo[height // 2 :] = BOTTOM_BGR
    return photo


def _jpeg(photo: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return data.tobytes()


def _assert_sound(corners, w, h, gap=2.0, margin=EDGE_MM):
    for x, y in corners:
        assert x >= margin - 1e-9 and x + w <= SHEET_W - margin + 1e-9, (x, y)
        assert y >= margin - 1e-9 and y + h <= SHEET_H - margin + 1e-9, (x, y)
    for (x1, y1), (x2, y2) in combinations(corners, 2):  # apart by the gap along one axis
        apart_x = x2 >= x1 + w + gap - 1e-9 or x1 >= x2 + w + gap - 1e-9
        apart_y = y2 >= y1 + h + gap - 1e-9 or y1 >= y2 + h + gap - 1e-9
        assert apart_x or apart_y, ((x1, y1), (x2, y2))


def _grid(corners) -> tuple[int, int]:
    return len({x for x, _ in corners}), len({y for _, y in corners})


# ---- layout


@pytest.mark.parametrize(
    ("w", "h", "grid"),
    [
        (26, 32, (4, 2)),  # resident ID card: 5 × 2 would fit, 4 × 2 leaves no empty cell
        (35, 45, (4, 2)),  # 4 × 35 + 3 × 2 = 146 mm: exactly the sheet less two 3 mm edges
        (22, 32, (4, 2)),
    ],
)
def test_eight_photos_fit(w, h, grid):
    corners = layout(w, h)
    assert len(corners) == 8
    assert _grid(corners) == grid
    _assert_sound(corners, w, h)


def test_exit_entry_photos_need_narrower_gaps_for_two_rows():
    # 33 × 48 mm: two rows take 48 + 2 + 48 = 98 mm, the sheet has 102 - 2 × 3 = 96 mm,
    # so with the default gap and edges only one row of 4 fits ...
    corners = layout(33, 48)
    assert len(corners) == 4 and _grid(corners) == (4, 1)
    _assert_sound(corners, 33, 48)
    # ... and 8 (4 × 2) with a 1 mm gap and 2 mm edges: 2 + 48 + 1 + 48 + 2 = 101 mm.
    corners = layout(33, 48, gap_mm=1.0, margin_mm=2.0)
    assert len(corners) == 8 and _grid(corners) == (4, 2)
    _assert_sound(corners, 33, 48, gap=1.0, margin=2.0)


def test_the_grid_is_centred_and_in_reading_order():
    corners = layout(26, 32)
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    assert min(xs) == pytest.approx(SHEET_W - (max(xs) + 26))
    assert min(ys) == pytest.approx(SHEET_H - (max(ys) + 32))
    assert corners == sorted(corners, key=lambda c: (-c[1], c[0]))  # top row first


def test_fewer_and_more_than_fit():
    assert len(layout(35, 45, count=100)) == 8  # all that fit
    three = layout(35, 45, count=3)
    assert _grid(three) == (3, 1)
    five = layout(35, 45, count=5)  # 3 × 2 with the last row left-aligned
    assert _grid(five) == (3, 2)
    assert [x for x, _ in five[3:]] == [x for x, _ in five[:2]]
    for corners in (three, five):
        _assert_sound(corners, 35, 45)


def test_a_photo_too_large_is_an_error():
    with pytest.raises(ValueError, match=r"200×48 mm photo does not fit on a 152×102 mm sheet"):
        layout(200, 48)
    with pytest.raises(ValueError, match="does not fit"):
        layout(35, 97)  # 97 + 2 × 3 > 102
    with pytest.raises(ValueError, match="does not fit"):
        sheet_png(_photo(), 150, 45)


@pytest.mark.parametrize(
    ("args", "message"),
    [((0, 45), "positive"), ((35, -1), "positive"), ((35, 45, 0), "count")],
)
def test_nonsense_sizes_are_errors(args, message):
    with pytest.raises(ValueError, match=message):
        layout(*args)


# ---- crop marks


def _segment_hits_rect(seg, rect, pad):
    x1, y1, x2, y2 = seg
    left, bottom, right, top = rect
    return (
        max(x1, x2) > left - pad
        and min(x1, x2) < right + pad
        and max(y1, y2) > bottom - pad
        and min(y1, y2) < top + pad
    )


@pytest.mark.parametrize(
    ("w", "h", "gap", "count"),
    [(26, 32, 2.0, 8), (35, 45, 2.0, 8), (35, 45, 2.0, 5), (33, 48, 0.0, 8), (50, 90, 5.0, 2)],
)
def test_crop_marks_mark_every_cut_and_never_touch_a_photo(w, h, gap, count):
    margin = EDGE_MM if gap else 2.0
    corners = layout(w, h, count, gap_mm=gap, margin_mm=margin)
    marks = crop_marks(corners, w, h)
    rects = [(x, y, x + w, y + h) for x, y in corners]
    for seg in marks:
        x1, y1, x2, y2 = seg
        assert x1 == x2 or y1 == y2  # horizontal or vertical
        assert 0 <= min(x1, x2) and max(x1, x2) <= SHEET_W
        assert 0 <= min(y1, y2) and max(y1, y2) <= SHEET_H
        for rect in rects:  # not even within the offset (less rounding) of any photo
            assert not _segment_hits_rect(seg, rect, MARK_OFFSET_MM - 1e-6), (seg, rect)
    assert len(set(marks)) == len(marks)
    for x in {r[0] for r in rects} | {r[2] for r in rects}:  # every vertical cut line
        assert any(s[0] == s[2] == pytest.approx(x) for s in marks), x
    for y in {r[1] for r in rects} | {r[3] for r in rects}:  # every horizontal cut line
        assert any(s[1] == s[3] == pytest.approx(y) for s in marks), y


# ---- PDF


def _media_box(pdf: bytes) -> list[float]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.\s]+)\]", pdf)
    assert len(boxes) == 1, boxes  # one page
    return [float(v) for v in boxes[0].split()]


def _render(pdf: bytes, tmp_path: Path, dpi: int) -> np.ndarray:
    if shutil.which("pdftoppm") is None:
        pytest.skip("SERVICE UNAVAILABLE: pdftoppm (poppler-utils) is not installed")
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "sheet.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    page = cv2.imread(str(tmp_path / "page.png"), cv2.IMREAD_COLOR)
    assert page is not None
    return page


def test_pdf_page_is_exactly_the_sheet_and_embeds_the_jpeg_once(tmp_path):
    pdf = sheet_pdf(_jpeg(_photo()), 26, 32)
    assert pdf.startswith(b"%PDF-")
    x0, y0, x1, y1 = _media_box(pdf)
    assert (x0, y0) == (0, 0)
    assert x1 == pytest.approx(152 / 25.4 * 72, abs=1e-3)  # 430.866 pt
    assert y1 == pytest.approx(102 / 25.4 * 72, abs=1e-3)  # 289.134 pt
    assert pdf.count(b"/Subtype /Image") == 1
    assert b"/DCTDecode" in pdf  # the JPEG as it is, not decoded and compressed again
    if shutil.which("pdfimages") is not None:  # each drawing of the image: one object
        (tmp_path / "sheet.pdf").write_bytes(pdf)
        listing = subprocess.run(
            ["pdfimages", "-list", str(tmp_path / "sheet.pdf")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[2:]
        assert len(listing) == 8
        assert len({tuple(row.split()[10:12]) for row in listing}) == 1, listing


@pytest.mark.parametrize(("w", "h"), [(26, 32), (35, 45)])
def test_pdf_photos_are_where_and_as_large_as_the_layout_says(tmp_path, w, h):
    dpi = 150
    page = _render(sheet_pdf(_jpeg(_photo()), w, h), tmp_path, dpi)
    assert page.shape[1] == pytest.approx(152 / 25.4 * dpi, abs=1)
    assert page.shape[0] == pytest.approx(102 / 25.4 * dpi, abs=1)

    def px(x_mm: float, y_mm: float) -> tuple[int, int]:  # PDF mm -> (row, column)
        return int((SHEET_H - y_mm) / 25.4 * dpi), int(x_mm / 25.4 * dpi)

    corners = layout(w, h)
    for x, y in corners:
        assert np.abs(page[px(x + w / 2, y + h * 3 / 4)].astype(int) - TOP_BGR).max() < 16
        assert np.abs(page[px(x + w / 2, y + h / 4)].astype(int) - BOTTOM_BGR).max() < 16
        assert page[px(x - 1, y + h / 2)].min() > 240  # the gap or edge beside it is blank
    # Each photo is one blob of its size, to a rendering pixel (1/150 inch = 0.17 mm).
    coloured = (page.min(axis=2) < 230) & (page.max(axis=2) > 100)  # not white, not black
    n, _, stats, _ = cv2.connectedComponentsWithStats(coloured.astype(np.uint8), connectivity=4)
    blobs = sorted(
        (int(s[cv2.CC_STAT_LEFT]), int(s[cv2.CC_STAT_TOP]), s[2], s[3])
        for s in stats[1:n]
        if s[cv2.CC_STAT_AREA] > 100
    )
    assert len(blobs) == len(corners)
    expected = sorted(
        ((x / 25.4 * dpi, (SHEET_H - y - h) / 25.4 * dpi, w / 25.4 * dpi, h / 25.4 * dpi))
        for x, y in corners
    )
    for blob, want in zip(blobs, expected, strict=True):
        assert blob == pytest.approx(want, abs=1.5)


def test_pdf_crop_marks_are_printed(tmp_path):
    dpi = 300
    page = _render(sheet_pdf(_jpeg(_photo()), 35, 45), tmp_path, dpi)
    dark = page.max(axis=2) < 128
    for x1, y1, x2, y2 in crop_marks(layout(35, 45), 35, 45):
        middle = ((SHEET_H - (y1 + y2) / 2) / 25.4 * dpi, (x1 + x2) / 2 / 25.4 * dpi)
        row, col = round(middle[0]), round(middle[1])
        assert dark[row - 1 : row + 2, col - 1 : col + 2].any(), (x1, y1, x2, y2)


def test_pdf_wants_a_jpeg():
    _, png = cv2.imencode(".png", _photo())
    with pytest.raises(ValueError, match="JPEG"):
        sheet_pdf(png.tobytes(), 26, 32)


# ---- PNG


@pytest.mark.parametrize(("w", "h", "dpi"), [(26, 32, 300), (35, 45, 300), (35, 45, 600)])
def test_png_sheet_and_photo_pixel_sizes(w, h, dpi):
    sheet = sheet_png(_photo(), w, h, dpi=dpi)
    assert sheet.dtype == np.uint8
    assert sheet.shape == (round(102 / 25.4 * dpi), round(152 / 25.4 * dpi), 3)
    if dpi == 300:
        assert sheet.shape[:2] == (1205, 1795)
    photo_w, photo_h = round(w / 25.4 * dpi), round(h / 25.4 * dpi)
    assert (mm_to_px(w, dpi), mm_to_px(h, dpi)) == (photo_w, photo_h)

    coloured = (sheet.min(axis=2) < 230) & (sheet.max(axis=2) > 0)  # the photo's pixels
    n, _, stats, _ = cv2.connectedComponentsWithStats(coloured.astype(np.uint8), connectivity=4)
    blobs = sorted(tuple(int(v) for v in s[:4]) for s in stats[1:n])
    expected = sorted(
        (mm_to_px(x, dpi), mm_to_px(SHEET_H - y - h, dpi), photo_w, photo_h)
        for x, y in layout(w, h)
    )
    assert blobs == expected  # exactly: every photo, at its place, of its pixel size
    for left, top, width, height in blobs:
        assert (sheet[top, left + width // 2] == TOP_BGR).all()
        assert (sheet[top + height - 1, left + width // 2] == BOTTOM_BGR).all()


def test_png_crop_marks_are_black_and_off_the_photos():
    sheet = sheet_png(_photo(), 26, 32)
    black = (sheet == 0).all(axis=2)
    assert black.sum() > 0
    photos = np.zeros(black.shape, bool)
    w, h = mm_to_px(26, 300), mm_to_px(32, 300)
    for x, y in layout(26, 32):
        left, top = mm_to_px(x, 300), mm_to_px(SHEET_H - y - 32, 300)
        photos[top : top + h, left : left + w] = True
    assert not (black & photos).any()
    assert ((sheet == 0).all(axis=2) | (sheet == 255).all(axis=2) | photos).all()


def test_png_wants_a_bgr_photo():
    with pytest.raises(ValueError, match="BGR"):
        sheet_png(np.zeros((40, 30), np.uint8), 26, 32)
