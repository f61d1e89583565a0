"""The rendered screens against the baselines committed beside this file. A changed
screen fails here until its baselines are rendered anew and committed with it:
    QT_QPA_PLATFORM=offscreen python -m ui.gallery tests/ui/baselines --baselines
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from ui.gallery import BASELINE_SIZE, LANGUAGES, MODES, screens

BASELINES = Path(__file__).with_name("baselines")
# anti-aliasing may move by a level; a changed word or layout moves far more
MEAN_TOLERANCE = 1.5
CHANGED_SHARE = 0.01  # pixels off by more than 40 levels


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * height)
    rows = data.reshape(height, image.bytesPerLine())[:, : width * 3]
    return rows.reshape(height, width, 3).copy()  # the image's memory goes with it


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_screens_match_their_baselines(shipped_kiosk, lang, mode):
    kiosk = shipped_kiosk
    kiosk.shell.freeze_clock("2026-01-01 09:00")
    changed = []
    for name, picture in screens(kiosk, lang, mode):
        baseline = BASELINES / f"{name}-{lang}-{mode}.png"
        assert baseline.exists(), f"no baseline {baseline.name}: render them (see the docstring)"
        now = pixels(picture.scaled(*BASELINE_SIZE)).astype(np.int16)
        then = pixels(QImage(str(baseline))).astype(np.int16)
        difference = np.abs(now - then)
        off = float((difference.max(axis=2) > 40).mean())
        if difference.mean() > MEAN_TOLERANCE or off > CHANGED_SHARE:
            changed.append(f"{baseline.name}: mean {difference.mean():.2f}, {off:.1%} changed")
    assert changed == [], changed
