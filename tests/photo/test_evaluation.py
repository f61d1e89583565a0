"""The photo pipeline on faces it was not built on (tests/photo/evaluation.py), and
the pose estimate on renders at known angles (tests/photo/pose_error.py)."""

from __future__ import annotations

import pytest

from kiosk.photo import spec
from tests.photo import evaluation, pose_error


@pytest.fixture(scope="module")
def report():
    return evaluation.evaluate()


def test_benign_changes_leave_the_verdict_as_it_was(report):
    assert report["benign_variants"] == 24
    # Both turned heads measure a yaw within a degree of where yaw refuses: an edit
    # may move it either side (reported, in docs/photos.md too); the rest holds still
    assert set(report["sources_at_a_pose_limit"]) <= {"biden", "obama_blue_room"}, report
    assert report["benign_verdict_moved_elsewhere"] == 0, report["benign_moved"]
    assert report["benign_verdict_moved"] <= 3, report["benign_moved"]


def test_no_code_is_refused_where_the_picture_does_not_break_it(report):
    """False refusals: a code neither the variant nor the original's label has.
    Yaw on the two turned heads is the labels' disagreement; a strong cast may also
    read as a coloured cap."""
    unexpected = {
        code: cases
        for code, cases in report["false_refusals"].items()
        if code not in ("yaw", "head_covering")
    }
    assert sum(len(c) for c in unexpected.values()) <= 2, unexpected
    assert all(
        case.endswith(("_cast", "/six_people"))
        for case in report["false_refusals"].get("head_covering", [])
    ), report["false_refusals"]


def test_defects_are_refused_for_their_own_code(report):
    assert report["defects"] >= 36
    assert report["defect_catch_rate"] >= 0.95, report["per_code"]
    # every greyscale, sepia or cast picture, and every JPEG at quality 10 or below
    for code in ("not_colour", "compression", "multiple_faces", "head_covering"):
        tally = report["per_code"][code]
        assert tally["refused_right"] == tally["defects"], (code, tally)


def test_the_originals_against_their_hand_labels(report):
    # Known misses, stated in docs/photos.md: the Blue Room's close-cropped bare head
    # reads as a head covering, and both turned heads measure past yaw's limit
    # and its uncertainty (Biden's label says he turns only a little).
    assert report["originals_as_labelled"] >= 1, report["originals_not_as_labelled"]
    assert ["obama", ["mouth_open"]] not in report["originals_not_as_labelled"]


def test_the_pose_estimate_is_within_the_specs_uncertainty_on_renders():
    summary = pose_error.summary(pose_error.errors())
    rules = spec.load("icao")
    for axis in ("yaw", "pitch", "roll"):
        assert summary[axis]["renders"] >= 40, summary  # the model found the drawings
        uncertainty = rules.rule(axis).number("uncertainty")
        assert summary[axis]["p90_within_10deg"] <= uncertainty, (axis, summary[axis])
    assert summary["roll"]["max_within_20deg"] <= 2.0, summary["roll"]
