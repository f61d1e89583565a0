"""The face matcher on the public-domain test faces: genuine pairs below the threshold,
impostors above, the ID card chip's photo, the errors a caller acts on, and the
threshold held to the evaluation's rule."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.identity import matcher as matcher_module
from kiosk.identity.matcher import (
    THRESHOLD,
    Comparison,
    FaceMatcher,
    FaceNotUsable,
    ModelMissing,
    score,
)
from kiosk.photo.faces import FaceModels
from tests.identity import evaluation


@pytest.fixture(scope="module")
def matcher():
    m = FaceMatcher()
    yield m
    m.close()


@pytest.fixture(scope="module")
def portraits(matcher):
    """Each test photo's embedding, made once for the module."""
    return {photo: matcher.encode(evaluation.load(photo)) for photo in evaluation.PHOTOS}


def test_the_same_man_three_years_apart_is_the_same_person(matcher, portraits):
    for a, b in [("obama", "obama_blue_room"), ("obama", "obama2"), ("obama_blue_room", "obama2")]:
        result = matcher.compare(portraits[a], portraits[b])
        assert result.same and result.distance <= THRESHOLD, (a, b, result)


def test_different_people_are_different(matcher, portraits):
    people = ["obama", "biden", "grace_hopper", "astronaut"]
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            result = matcher.compare(portraits[a], portraits[b])
            # a margin, not just the threshold: these four are far apart in dlib's space
            assert not result.same and result.distance > THRESHOLD + 0.1, (a, b, result)


def test_a_face_already_found_is_not_looked_for_again(matcher, portraits):
    image = evaluation.load("biden")
    models = FaceModels(with_mask=False)
    try:
        face = models.find(image).faces[0]
    finally:
        models.close()
    shared = FaceMatcher(models)  # the photo pipeline's models, closed above: never used
    try:
        vector = shared.encode(image, face)
    finally:
        shared.close()
    assert vector.shape == (128,)
    assert np.linalg.norm(vector - portraits["biden"]) < 0.02


def test_the_id_card_chip_photo_matches_its_own_portrait(matcher, portraits):
    models = FaceModels()
    try:
        data, quality = evaluation.chip_photo(evaluation.load("biden"), models)
    finally:
        models.close()
    assert len(data) <= 1024 and quality >= 7
    with_size = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert with_size.shape[:2] == (126, 102)
    chip = matcher.encode_document(data)
    assert matcher.compare(chip, portraits["biden"]).same
    assert not matcher.compare(chip, portraits["obama"]).same


def test_a_jpeg_2000_document_photo_is_read(matcher, portraits):
    ok, data = cv2.imencode(".jp2", evaluation.load("grace_hopper"))
    assert ok
    vector = matcher.encode_document(data.tobytes())
    assert matcher.compare(vector, portraits["grace_hopper"]).distance < 0.1


def test_no_face_two_faces_and_junk_are_refused_with_their_code(matcher):
    blank = np.full((480, 640, 3), 180, np.uint8)
    with pytest.raises(FaceNotUsable) as caught:
        matcher.encode(blank)
    assert caught.value.code == "no_face"
    two = np.hstack([evaluation.load("biden"), evaluation.load("obama_blue_room")[:658]])
    with pytest.raises(FaceNotUsable) as caught:
        matcher.encode(two)
    assert caught.value.code == "several_faces"
    for junk in (b"", b"not a picture at all"):
        with pytest.raises(FaceNotUsable) as caught:
            matcher.encode_document(junk)
        assert caught.value.code == "unreadable"


def test_a_missing_model_says_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(matcher_module, "model_file", lambda: tmp_path / "nothing.dat")
    with pytest.raises(ModelMissing, match=r"nothing\.dat not found"):
        FaceMatcher().encode(np.zeros((10, 10, 3), np.uint8))
    monkeypatch.undo()
    monkeypatch.setattr(matcher_module, "MODEL_PACKAGE", "no_such_models_package")
    with pytest.raises(ModelMissing, match="not installed"):
        FaceMatcher().encode_document(b"x")


def test_comparison_and_score():
    assert score(0.0) == 1.0 and score(1.3) == 0.0 and score(0.4567) == 0.543
    result = FaceMatcher().compare(np.zeros(128), np.full(128, 0.01))
    assert isinstance(result, Comparison) and result.threshold == THRESHOLD
    assert result.same and result.distance == pytest.approx(0.1131, abs=1e-4)
    assert result.score == score(result.distance)


def test_the_threshold_is_the_evaluations_rule():
    """THRESHOLD cannot drift from the measured pairs: the rule on them gives it."""
    pairs, _ = evaluation.measured()
    assert evaluation.choose_threshold(pairs) == THRESHOLD
    at = evaluation.rates(pairs, THRESHOLD)
    assert at["far"]["errors"] == 0  # type: ignore[index]
