"""Self-test of the defect-suite generator: each variant is what it claims to be.

Measured with OpenCV alone (Haar cascades, Laplacian, luminance), never with the photo
pipeline the suite is for: these tests check the yardstick, not the thing it measures.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.photo.problems import RANK
from tests.photo import defects
from tests.photo.defects import Box, Variant

CLEAN_NAMES = {"original", "jpeg_q60", "brighter_10", "scaled_95", "shifted_5", "roll_3"}


@pytest.fixture(scope="module")
def sources() -> dict[str, np.ndarray]:
    return defects.sources()


@pytest.fixture(scope="module")
def variants() -> list[Variant]:
    # Made once for the module: the whole suite takes a few seconds.
    return defects.suite()


@pytest.fixture(scope="module")
def faces(sources: dict[str, np.ndarray]) -> dict[str, Box]:
    return {name: defects.face_box(name, image) for name, image in sources.items()}


def _get(variants: list[Variant], source: str, name: str) -> Variant:
    (found,) = [v for v in variants if v.source == source and v.name == name]
    return found


def _luma(image: np.ndarray, box: Box) -> np.ndarray:
    return cv2.cvtColor(box.crop(image), cv2.COLOR_BGR2GRAY).astype(np.float64)


def _sharpness(image: np.ndarray, box: Box) -> float:
    gray = cv2.cvtColor(box.crop(image), cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def _rotation_degrees(before: np.ndarray, after: np.ndarray) -> float:
    """The rotation taking `before` to `after`, from matched ORB features (CCW positive)."""
    orb = cv2.ORB_create(2000)
    g1, g2 = (cv2.cvtColor(im, cv2.COLOR_BGR2GRAY) for im in (before, after))
    k1, d1 = orb.detectAndCompute(g1, None)
    k2, d2 = orb.detectAndCompute(g2, None)
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(d1, d2)
    p1 = np.float32([k1[m.queryIdx].pt for m in matches])
    p2 = np.float32([k2[m.trainIdx].pt for m in matches])
    matrix, _ = cv2.estimateAffinePartial2D(p1, p2, method=cv2.RANSAC)
    # Image y points down, so a counter-clockwise turn on screen has a negative atan2.
    return -math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))


def _eye_tilt(image: np.ndarray, face: Box) -> float:
    eyes = sorted(defects.detect_eyes(image, face))
    assert len(eyes) == 2, eyes
    (lx, ly), (rx, ry) = eyes
    return -math.degrees(math.atan2(ry - ly, rx - lx))


def test_source_folder_is_the_test_data_in_the_repository() -> None:
    assert defects.FACES_DIR == Path(__file__).resolve().parents[1] / "data" / "faces"
    for filename in defects.SOURCE_FILES.values():
        assert (defects.FACES_DIR / filename).is_file()


def test_face_boxes_are_the_documented_ones(faces: dict[str, Box]) -> None:
    # The module docstring documents these; a different OpenCV may move them a pixel or
    # two, not more.
    documented = {"astronaut": (177, 66, 95, 95), "grace_hopper": (155, 105, 222, 222)}
    for name, box in faces.items():
        assert np.allclose(box, documented[name], atol=4), (name, box)


def test_every_variant_is_bgr_uint8_of_its_source_size(
    variants: list[Variant], sources: dict[str, np.ndarray]
) -> None:
    assert {v.source for v in variants} == set(sources)
    for v in variants:
        assert v.image.dtype == np.uint8, v.name
        assert v.image.ndim == 3 and v.image.shape[2] == 3, v.name
        assert v.image.shape == sources[v.source].shape, (v.source, v.name)


def test_names_are_unique_per_source(variants: list[Variant]) -> None:
    counts = Counter((v.source, v.name) for v in variants)
    assert [key for key, n in counts.items() if n > 1] == []


def test_defect_counts_and_codes(variants: list[Variant]) -> None:
    broken = Counter(v.source for v in variants if v.expected is not None)
    assert broken["astronaut"] >= 12
    assert broken["grace_hopper"] >= 11
    assert {v.expected for v in variants if v.expected is not None} <= set(RANK)
    for source in ("astronaut", "grace_hopper"):
        clean = {v.name for v in variants if v.source == source and v.expected is None}
        assert clean == CLEAN_NAMES
    # Grace Hopper already wears a cap: no drawn hat for her.
    assert not [v for v in variants if v.source == "grace_hopper" and v.name == "hat"]


def test_second_face_has_two_separate_faces(variants: list[Variant]) -> None:
    for source in ("astronaut", "grace_hopper"):
        found = defects.detect_faces(_get(variants, source, "second_face").image)
        assert len(found) == 2, (source, found)
        big, small = found
        assert 0.5 < small.w / big.w < 0.85, (source, found)
        apart_x = small.x + small.w <= big.x or small.x >= big.x + big.w
        apart_y = small.y + small.h <= big.y or small.y >= big.y + big.h
        assert apart_x or apart_y, (source, found)


def test_blur_variants_are_softer_in_the_face(
    variants: list[Variant], sources: dict[str, np.ndarray], faces: dict[str, Box]
) -> None:
    for source, image in sources.items():
        sharp = _sharpness(image, faces[source])
        for name in ("blur", "motion_blur"):
            soft = _sharpness(_get(variants, source, name).image, faces[source])
            assert soft < 0.5 * sharp, (source, name, soft, sharp)


def test_roll_is_ten_degrees(
    variants: list[Variant], sources: dict[str, np.ndarray], faces: dict[str, Box]
) -> None:
    for source, image in sources.items():
        for name, degrees in (("roll", 10.0), ("roll_3", 3.0)):
            turned = _get(variants, source, name).image
            assert abs(_rotation_degrees(image, turned)) == pytest.approx(degrees, abs=0.5)
    # The astronaut's eyes are both found by the eye cascade: their line turns too.
    before = _eye_tilt(sources["astronaut"], faces["astronaut"])
    rolled = _get(variants, "astronaut", "roll").image
    after = _eye_tilt(rolled, defects.detect_faces(rolled)[0])
    assert abs(after - before) == pytest.approx(10.0, abs=3.0)


def test_exposure_variants(
    variants: list[Variant], sources: dict[str, np.ndarray], faces: dict[str, Box]
) -> None:
    for source in sources:
        box = faces[source]
        dark = _luma(_get(variants, source, "underexposed").image, box)
        assert dark.mean() < 0.15 * 255
        bright = _luma(_get(variants, source, "overexposed").image, box)
        assert (bright >= 250).mean() > 0.5
        lit = _luma(_get(variants, source, "side_light").image, box)
        half = box.w // 2
        assert lit[:, half:].mean() / lit[:, :half].mean() == pytest.approx(2.5, abs=0.1)
        # +10 % exposure stays a normal exposure.
        normal = _luma(_get(variants, source, "brighter_10").image, box)
        assert 0.3 * 255 < normal.mean() < 0.75 * 255 and (normal >= 250).mean() < 0.02


def test_geometry_variants_move_the_face_where_they_say(
    variants: list[Variant], sources: dict[str, np.ndarray], faces: dict[str, Box]
) -> None:
    for source, image in sources.items():
        w = image.shape[1]
        face = faces[source]

        small = defects.detect_faces(_get(variants, source, "too_small").image, min_size=20)
        assert len(small) == 1 and small[0].w < 60, (source, small)

        (moved,) = defects.detect_faces(_get(variants, source, "off_centre").image, 40)
        assert moved.x >= 0 and moved.cx / w < 0.3, (source, moved)

        (cut,) = defects.detect_faces(_get(variants, source, "head_cut_off").image, 40)
        assert cut.y < 0.1 * face.h, (source, cut)

        # The yaw warp moves the features towards the far side (picture right).
        (turned,) = defects.detect_faces(_get(variants, source, "yaw").image, 40)
        assert turned.cx - face.cx > 0.1 * face.w, (source, turned)


def test_clean_variants_keep_one_well_placed_face(
    variants: list[Variant], faces: dict[str, Box]
) -> None:
    for v in variants:
        if v.expected is not None:
            continue
        found = defects.detect_faces(v.image, min_size=40)
        face = faces[v.source]
        assert len(found) == 1, (v.source, v.name, found)
        assert abs(found[0].w - face.w) < 0.15 * face.w, (v.source, v.name, found)
        assert abs(found[0].cx - v.image.shape[1] / 2) < 0.1 * v.image.shape[1], (v.name, found)


def test_drawn_variants_are_deterministic(
    sources: dict[str, np.ndarray], faces: dict[str, Box]
) -> None:
    image, face = sources["astronaut"], faces["astronaut"]
    for make in (defects._hat, defects._ears_covered):
        assert np.array_equal(make(image, face, "astronaut"), make(image, face, "astronaut"))


def test_drawn_variants_cover_what_they_claim(
    variants: list[Variant], sources: dict[str, np.ndarray], faces: dict[str, Box]
) -> None:
    face = faces["astronaut"]
    # The hat: the forehead band just above the eyebrows is now a saturated colour.
    hat = _get(variants, "astronaut", "hat").image
    band = Box(face.x + face.w // 4, face.y, face.w // 2, round(0.15 * face.h))
    saturation = cv2.cvtColor(band.crop(hat), cv2.COLOR_BGR2HSV)[..., 1]
    assert saturation.mean() > 150
    # The ears: both bands at ear height are dark.
    for source, image in sources.items():
        box = faces[source]
        covered = _get(variants, source, "ears_covered").image
        top, height = round(box.y + 0.35 * box.h), round(0.35 * box.h)
        for x in (box.x - round(0.2 * box.w), box.x + box.w):
            ear = Box(x, top, round(0.2 * box.w), height)
            assert _luma(covered, ear).mean() < 70, (source, x)
            assert _luma(covered, ear).mean() < _luma(image, ear).mean()


def test_script_writes_every_variant_as_png(
    variants: list[Variant], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(defects, "suite", lambda: variants)
    assert defects.main([str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{v.source}_{v.name}.png" for v in variants)
    back = cv2.imread(str(tmp_path / "astronaut_hat.png"))
    assert np.array_equal(back, _get(variants, "astronaut", "hat").image)
