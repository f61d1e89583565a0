"""The wheelchair layout: on request, every action within the lower part of the
portrait screen (nothing to touch above 45 % of its height), the header's controls
included; the next citizen finds the terminal's own layout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QRectF

from tests.ui.helpers import find, items, shown, tap
from ui.gallery import SCREENS, fresh

REACH = 0.45  # nothing to touch above this share of the window's height
TARGETS = ("button_", "option_", "tile_", "rate_", "key_", "toggle_", "place_")


def scene_rect(item) -> QRectF:
    corner = item.mapToScene(QPointF(0, 0))
    return QRectF(corner.x(), corner.y(), item.width(), item.height())


def on_screen(item, window_height: float) -> bool:
    """Shown, and not scrolled out of a clipping parent (the stage scrolls)."""
    visible = scene_rect(item)
    if visible.top() >= window_height:
        return False  # parked below the window (the keyboard when down)
    parent = item.parentItem()
    while parent is not None:
        if not parent.isVisible() or parent.opacity() == 0:
            return False
        if parent.clip():
            visible = visible.intersected(scene_rect(parent))
            if visible.isEmpty():
                return False
        parent = parent.parentItem()
    return shown(item)


def touchable(kiosk) -> list:
    """Every button and key a finger could reach for now."""
    height = kiosk.window.height()
    return [
        i
        for i in items(kiosk.window.contentItem())
        if (i.objectName().startswith(TARGETS) or type(i).__name__.startswith("KButton")
            or i.metaObject().className().startswith("KButton"))
        and on_screen(i, height)
    ]  # fmt: skip


def too_high(kiosk) -> list[str]:
    line = kiosk.window.height() * REACH
    return [
        f"{i.objectName() or i.metaObject().className()} at {scene_rect(i).top():.0f}"
        for i in touchable(kiosk)
        if scene_rect(i).top() < line
    ]


def show(kiosk, name: str, lang: str, elderly: bool) -> None:
    (sample,) = [(s, v) for n, s, v in SCREENS if n == name]
    fresh(kiosk, lang, elderly)
    kiosk.shell.toggleReach()
    if sample[0] is not None:
        kiosk.shell.preview(*sample)
    kiosk.settle(100)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_action_is_low_on_the_screen(kiosk, lang):
    problems = []
    for name in ("home", "choose", "form", "confirm", "pay", "done"):
        show(kiosk, name, lang, elderly=False)
        found = touchable(kiosk)
        assert len(found) >= 3, (name, found)  # the header's controls at least
        assert any(i.objectName() == "button_help" for i in found), name
        problems += [f"{name}: {p}" for p in too_high(kiosk)]
    assert problems == []


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_large_text_too(kiosk, lang):
    problems = []
    for name in ("home", "choose", "form", "confirm", "pay"):
        show(kiosk, name, lang, elderly=True)
        problems += [f"{name}: {p}" for p in too_high(kiosk)]
    assert problems == []


def test_without_it_the_header_stays_on_top(kiosk):
    """The check can fail: the usual layout has its controls high."""
    fresh(kiosk, "zh_CN", False)
    kiosk.settle(60)
    assert not kiosk.shell.reach
    assert "button_help" in " ".join(too_high(kiosk))


def test_a_text_form_in_reach_keeps_everything_above_the_keyboard_and_low(qtbot, kiosk):
    show(kiosk, "form_text", "en", elderly=False)
    qtbot.waitUntil(lambda: find(kiosk, "keyboard").property("active"), timeout=5_000)
    kiosk.settle(100)
    keyboard = scene_rect(find(kiosk, "keyboard"))
    for name in ("button_replay", "button_cancel", "button_help", "button_next"):
        item = find(kiosk, name)
        assert scene_rect(item).bottom() <= keyboard.top() + 1, name
    assert too_high(kiosk) == []


def test_one_touch_turns_it_on_and_the_next_citizen_finds_it_off(qtbot, kiosk):
    shell = kiosk.shell
    assert not shell.reach
    help_before = scene_rect(find(kiosk, "button_help")).top()
    tap(kiosk, "button_reach")
    assert shell.reach and shell.style.reach
    assert scene_rect(find(kiosk, "button_help")).top() > help_before
    assert find(kiosk, "reach_note")
    tap(kiosk, "tile_test_renewal")
    qtbot.waitUntil(lambda: shell.screen == "info", timeout=5_000)
    assert shell.reach  # kept through the citizen's session
    tap(kiosk, "button_cancel")
    qtbot.waitUntil(lambda: shell.screen == "home", timeout=15_000)
    kiosk.settle(60)
    assert not shell.reach and not shell.style.reach
    assert scene_rect(find(kiosk, "button_help")).top() == help_before
