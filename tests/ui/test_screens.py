"""Every screen, in both languages and both modes, checked from the rendered scene:
text sizes, touch-target sizes and contrast (elderly-friendly rules)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from tests.ui.helpers import items, shown
from ui.gallery import SCREENS, commissioning_screens, fresh

TARGET_NAMES = ("button_", "option_", "tile_", "rate_", "key_", "toggle_")
DRAWN_NAMES = ("drawing_", "icon_")  # drawings and icons (ui/qml/art): a `stroke` colour
# at 1080 x 1920: main text and touch targets, normal and elderly
RULES = {False: (28, 72), True: (36, 96)}


def luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def background_of(item, window_colour: QColor) -> QColor:
    parent = item.parentItem()
    while parent is not None:
        if parent.inherits("QQuickRectangle"):
            colour = parent.property("color")
            if isinstance(colour, QColor) and colour.alpha() == 255:
                return colour
        parent = parent.parentItem()
    return window_colour


def screen_problems(kiosk, elderly: bool) -> list[str]:
    least_text, least_target = RULES[elderly]
    window_colour = kiosk.window.color()
    found = []
    for item in items(kiosk.window.contentItem()):
        if not shown(item) or not _all_visible(item, kiosk.window.width(), kiosk.window.height()):
            continue
        name = item.objectName()
        if name.startswith(TARGET_NAMES) and (
            item.width() < least_target or item.height() < least_target
        ):
            found.append(f"{name}: {item.width():.0f}x{item.height():.0f} under {least_target}")
        if item.inherits("QQuickText") and str(item.property("text")).strip():
            size = item.property("font").pixelSize()
            if size < least_text:
                found.append(f"text {item.property('text')!r}: {size} px under {least_text}")
            ratio = contrast(item.property("color"), background_of(item, window_colour))
            if ratio < 4.5:
                found.append(f"text {item.property('text')!r}: contrast {ratio:.1f} under 4.5")
        stroke = item.property("stroke")  # a drawing or an icon: its main lines, 3:1
        if name.startswith(DRAWN_NAMES) and isinstance(stroke, QColor):
            ground = (item.property("color") if item.inherits("QQuickRectangle")
                      else background_of(item, window_colour))  # fmt: skip
            if contrast(stroke, ground) < 3:
                found.append(f"{name}: lines at contrast {contrast(stroke, ground):.1f} under 3")
    return found


def _all_visible(item, width: int, height: int) -> bool:
    corner = item.mapToScene(QPointF(0, 0))
    if corner.y() >= height or corner.x() >= width:
        return False  # parked off screen (the on-screen keyboard when no field wants it)
    while item is not None:
        if not item.isVisible() or item.opacity() == 0:
            return False
        item = item.parentItem()
    return True


@pytest.mark.parametrize("elderly", [False, True], ids=["normal", "elderly"])
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_screen_keeps_the_sizes_and_contrast(kiosk, lang, elderly):
    problems = []
    for name, show, values in SCREENS:
        fresh(kiosk, lang, elderly)
        if show is not None:
            kiosk.shell.preview(show, values)
        kiosk.settle(60)
        problems += [f"{name}: {p}" for p in screen_problems(kiosk, elderly)]
    kiosk.shell.preview_warning(20, 10)
    kiosk.settle(60)
    problems += [f"timeout: {p}" for p in screen_problems(kiosk, elderly)]
    fresh(kiosk, lang, elderly)
    kiosk.shell.showHelp(True)
    kiosk.settle(60)
    problems += [f"help: {p}" for p in screen_problems(kiosk, elderly)]
    kiosk.shell.showHelp(False)
    for name, _ in commissioning_screens(kiosk, lang, "elderly" if elderly else "normal"):
        problems += [f"{name}: {p}" for p in screen_problems(kiosk, elderly)]
    assert problems == []


def test_landscape_keeps_every_screen_inside_the_window(qapp):
    """1920 x 1080 works too: nothing runs off the window, the rules still hold."""
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    kiosk = Kiosk(shell_factory(catalogue()), catalogue(), size=(1920, 1080))
    kiosk.window.show()
    try:
        problems = []
        for name, show, values in SCREENS:
            kiosk.shell.wipe()
            if show is not None:
                kiosk.shell.preview(show, values)
            kiosk.settle(60)
            problems += [f"{name}: {p}" for p in screen_problems(kiosk, False)]
            for item in items(kiosk.window.contentItem()):
                if item.objectName().startswith(TARGET_NAMES) and shown(item):
                    corner = item.mapToScene(QPointF(item.width(), item.height()))
                    if corner.x() > 1920 + 1 or corner.y() > 1080 + 1:
                        problems.append(f"{name}: {item.objectName()} runs off the window")
        assert problems == []
    finally:
        kiosk.close()
