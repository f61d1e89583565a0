"""The screen sleeps at night (ui/sleep.py), on the real QML: only the idle home
screen, only within the pack's night hours, black and silent, and the touch that
wakes it presses nothing. The clocks are the test's: `later` moves them and looks."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtTest import QTest

from kiosk.citypack import ScreenRules
from tests.ui.helpers import find, tap
from tests.ui.test_maintenance import desk_kiosk, hold  # noqa: F401 (a fixture)

NIGHT = datetime(2026, 12, 5, 23, 30)
MORNING = datetime(2026, 12, 6, 6, 0)


class Backlight:
    """What the sleep asked of the backlight (kiosk/backlight.py is tested on a bus)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def dim(self) -> None:
        self.calls.append("dim")

    def restore(self) -> None:
        self.calls.append("restore")


def at_night(kiosk, rules: ScreenRules | None = None) -> SimpleNamespace:
    """The pack's night hours 23:00-06:00, sleep after 120 s; it is 23:30."""
    sleeper = kiosk.shell.sleeper
    clocks = SimpleNamespace(wall=NIGHT, now=1000.0, backlight=Backlight())
    sleeper.rules = lambda: rules or ScreenRules(sleep="23:00-06:00", sleep_after_s=120)
    sleeper.wall = lambda: clocks.wall
    sleeper.clock = lambda: clocks.now
    sleeper.backlight = clocks.backlight
    sleeper.activity()
    return clocks


def later(kiosk, clocks: SimpleNamespace, seconds: float) -> None:
    clocks.now += seconds
    kiosk.shell.sleeper.look()  # as its timer does, every 15 s
    kiosk.settle(50)


def all_black(kiosk) -> bool:
    image = kiosk.window.grabWindow()
    return all(
        image.pixelColor(x, y).lightness() == 0
        for x in range(0, image.width(), 30)
        for y in range(0, image.height(), 30)
    )


def test_the_idle_home_screen_sleeps_at_night_black_and_silent(kiosk):
    clocks = at_night(kiosk)
    sleeper, voice = kiosk.shell.sleeper, kiosk.shell.voice
    tap(kiosk, "button_language")  # a citizen's choice, then nobody
    later(kiosk, clocks, 119)
    assert not sleeper.asleep and not all_black(kiosk)
    said = len(voice.spoken)
    later(kiosk, clocks, 1)
    assert sleeper.asleep and clocks.backlight.calls == ["dim"]
    assert all_black(kiosk)  # nothing readable
    assert len(voice.spoken) == said  # nothing said
    assert kiosk.shell.language == "zh_CN"  # the choice went, as after the home idle
    later(kiosk, clocks, 3600)
    assert sleeper.asleep and clocks.backlight.calls == ["dim"]


def test_the_waking_tap_presses_nothing_beneath(kiosk):
    clocks = at_night(kiosk)
    later(kiosk, clocks, 120)
    assert kiosk.shell.sleeper.asleep
    tap(kiosk, "tile_test_renewal")  # on the black screen, where the tile is
    assert not kiosk.shell.sleeper.asleep and clocks.backlight.calls == ["dim", "restore"]
    assert kiosk.shell.screen == "home" and not kiosk.shell.inSession
    assert not all_black(kiosk)
    tap(kiosk, "tile_test_renewal")  # awake: the tile starts its service
    assert kiosk.shell.inSession


def test_a_finger_wakes_it_and_presses_nothing(kiosk):
    clocks = at_night(kiosk)
    later(kiosk, clocks, 120)
    tile = find(kiosk, "tile_test_renewal")
    centre = tile.mapToScene(QPointF(tile.width() / 2, tile.height() / 2))
    point = QPoint(int(centre.x()), int(centre.y()))
    finger = QTest.createTouchDevice()
    QTest.touchEvent(kiosk.window, finger).press(0, point).commit()
    kiosk.settle(30)
    assert not kiosk.shell.sleeper.asleep
    QTest.touchEvent(kiosk.window, finger).release(0, point).commit()
    kiosk.settle(50)
    assert kiosk.shell.screen == "home" and not kiosk.shell.inSession


def test_the_morning_and_someone_approaching_wake_it(kiosk):
    clocks = at_night(kiosk)
    later(kiosk, clocks, 120)
    kiosk.shell.someoneApproached()  # the presence sensor (issue #22)
    assert not kiosk.shell.sleeper.asleep
    assert kiosk.shell.voice.spoken[-1][1] == "ui.home.greeting"
    later(kiosk, clocks, 120)
    assert kiosk.shell.sleeper.asleep
    clocks.wall = MORNING  # the night hours end at 06:00
    later(kiosk, clocks, 15)
    assert not kiosk.shell.sleeper.asleep and not all_black(kiosk)
    assert clocks.backlight.calls == ["dim", "restore", "dim", "restore"]
    later(kiosk, clocks, 3600)
    assert not kiosk.shell.sleeper.asleep


def test_by_day_or_with_no_night_hours_it_never_sleeps(kiosk):
    clocks = at_night(kiosk, ScreenRules())  # the default pack: no `sleep`
    later(kiosk, clocks, 36_000)
    assert not kiosk.shell.sleeper.asleep
    clocks = at_night(kiosk, ScreenRules(sleep="01:00-05:00", sleep_after_s=10))
    later(kiosk, clocks, 36_000)  # 23:30
    assert not kiosk.shell.sleeper.asleep and clocks.backlight.calls == []


def test_a_session_never_sleeps_and_the_idle_time_starts_at_its_end(qtbot, kiosk):
    clocks = at_night(kiosk)
    tap(kiosk, "tile_test_renewal")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "info", timeout=5_000)
    later(kiosk, clocks, 3600)
    assert not kiosk.shell.sleeper.asleep
    tap(kiosk, "button_cancel")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=15_000)
    later(kiosk, clocks, 119)
    assert not kiosk.shell.sleeper.asleep
    later(kiosk, clocks, 1)
    assert kiosk.shell.sleeper.asleep


def test_help_and_the_maintenance_screen_never_sleep(desk_kiosk):  # noqa: F811
    kiosk = desk_kiosk
    clocks = at_night(kiosk)
    kiosk.shell.showHelp(True)
    later(kiosk, clocks, 3600)
    assert not kiosk.shell.sleeper.asleep
    kiosk.shell.showHelp(False)
    hold(kiosk, "maintenance_gesture", 3300)
    assert kiosk.shell.screen == "maintenance"
    later(kiosk, clocks, 3600)
    assert not kiosk.shell.sleeper.asleep
