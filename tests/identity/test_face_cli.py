"""`kiosk face compare` in-process: the verdict's exit code, the --json object, and one
line on stderr for each kind of bad input."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from kiosk import cli
from kiosk.commands.face import FaceCommand
from kiosk.identity import matcher as matcher_module
from tests.identity.evaluation import FACES


@pytest.fixture
def kiosk(monkeypatch, capsys):
    monkeypatch.setattr(cli, "load_commands", lambda: ([FaceCommand()], []))

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(["--lang", "en", "face", "compare", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_same_and_different_people(kiosk):
    code, out, err = kiosk(str(FACES / "obama.jpg"), str(FACES / "obama2.jpg"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert list(report) == ["distance", "threshold", "same", "score"]
    assert report["same"] is True and report["distance"] <= report["threshold"]
    code, out, err = kiosk(str(FACES / "obama.jpg"), str(FACES / "biden.jpg"))
    assert code == 1, err
    assert "different people" in out and "threshold 0.47" in out


def test_bad_input_is_one_line_naming_the_file(kiosk, tmp_path):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a picture")
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 200, np.uint8))
    two = tmp_path / "two.jpg"
    pair = [cv2.imread(str(FACES / n)) for n in ("biden.jpg", "obama_blue_room.jpg")]
    cv2.imwrite(str(two), np.hstack([pair[0], pair[1][:658]]))
    obama = str(FACES / "obama.jpg")
    for args, said in [
        ((str(tmp_path / "missing.jpg"), obama), "missing.jpg: not an image"),
        ((obama, str(junk)), "junk.jpg: not an image"),
        ((str(blank), obama), "wall.png: no face found"),
        ((obama, str(two)), "two.jpg: more than one face"),
    ]:
        code, out, err = kiosk(*args)
        assert code == 2, (args, err)
        assert err.count("\n") == 1 and said in err, err
        assert out == ""


def test_a_missing_model_exits_3(kiosk, monkeypatch, tmp_path):
    monkeypatch.setattr(matcher_module, "model_file", lambda: tmp_path / "gone.dat")
    code, out, err = kiosk(str(FACES / "obama.jpg"), str(FACES / "biden.jpg"))
    assert out == ""
    assert code == 3 and err.count("\n") == 1 and "gone.dat not found" in err
