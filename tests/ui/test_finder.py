"""The service finder (您要办什么？) through the real QML: from the home screen, the
everyday choices, letters typed on Qt's on-screen keyboard (pinyin: the letters being
composed are searched before a character is chosen), the services as large tiles and
the one tapped started; nothing found: the counter and a call for help; left alone or
cancelled: home again, nothing typed kept."""

from __future__ import annotations

import pytest

from tests.ui.helpers import find, items, shown, tap, texts, type_on_keyboard
from tests.ui.test_reach import too_high, touchable
from tests.ui.test_screens import RULES, screen_problems
from ui.gallery import fresh


def keyboard_up(qtbot, kiosk) -> None:
    tap(kiosk, "finder_input")
    qtbot.waitUntil(lambda: find(kiosk, "keyboard").property("active"), timeout=5_000)


def end_session(qtbot, kiosk) -> None:
    kiosk.shell.cancel()
    qtbot.waitUntil(lambda: kiosk.shell.stepType == "done", timeout=10_000)
    kiosk.shell.answer("finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)


def results(kiosk) -> list[str]:
    """The services' tiles on the finder, top to bottom."""
    tiles = [i for i in items(kiosk.window.contentItem())
             if i.objectName().startswith("result_") and shown(i)]  # fmt: skip
    return [t.objectName().removeprefix("result_") for t in sorted(tiles, key=lambda t: t.y())]


def test_sfz_typed_on_the_keyboard_finds_and_starts_the_id_renewal(qtbot, shipped_kiosk):
    kiosk = shipped_kiosk
    fresh(kiosk, "zh_CN", False)
    kiosk.settle(60)
    tap(kiosk, "button_finder")
    assert kiosk.shell.screen == "finder" and not kiosk.shell.inSession
    assert {f"choice_{c}" for c in ("id_card", "photo", "hk_macao", "proof", "check_proof",
                                    "queue")} <= {i.objectName() for i in items(
                                        kiosk.window.contentItem()) if shown(i)}  # fmt: skip
    keyboard_up(qtbot, kiosk)
    type_on_keyboard(kiosk, "sfz")  # pinyin initials, still being composed
    qtbot.waitUntil(lambda: results(kiosk)[:1] == ["id_renewal"], timeout=5_000)
    composed = str(find(kiosk, "finder_input").property("displayText"))
    assert composed.replace(" ", "").replace("'", "") == "sfz"  # the keyboard's "s f z"
    assert "身份证换领/补领" in texts(kiosk)
    tap(kiosk, "result_id_renewal")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "reason", timeout=5_000)
    assert kiosk.shell.driver.engine.flow.flow == "id_renewal"
    # every press counted for the service: the finder's button, the field, three keys, the tile
    assert kiosk.shell.driver.transcript.start_taps == 6
    assert kiosk.shell.finder.query == "" and kiosk.shell.finder.results == []
    end_session(qtbot, kiosk)


def test_an_everyday_choice_lists_its_services_and_one_starts(qtbot, shipped_kiosk):
    kiosk = shipped_kiosk
    fresh(kiosk, "zh_CN", False)
    kiosk.settle(60)
    tap(kiosk, "button_finder")
    tap(kiosk, "choice_photo")
    assert results(kiosk)[:1] == ["id_photo"]
    assert find(kiosk, "finder_chosen").property("text") == "照相"
    tap(kiosk, "button_finder_clear")  # back to the choices
    assert results(kiosk) == [] and shown(find(kiosk, "choice_check_proof"))
    tap(kiosk, "choice_check_proof")
    assert results(kiosk)[0] == "proof_verification"
    tap(kiosk, "result_proof_verification")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "scan", timeout=5_000)
    end_session(qtbot, kiosk)


def test_english_words_in_english(qtbot, shipped_kiosk):
    kiosk = shipped_kiosk
    fresh(kiosk, "en", False)
    kiosk.settle(60)
    tap(kiosk, "button_finder")
    assert "What do you need?" in texts(kiosk)
    keyboard_up(qtbot, kiosk)
    type_on_keyboard(kiosk, "photo")
    qtbot.waitUntil(lambda: results(kiosk)[:1] == ["id_photo"], timeout=5_000)
    assert "ID photo" in texts(kiosk)


def test_nothing_found_says_where_the_counter_is_and_calls_for_help(qtbot, shipped_kiosk):
    kiosk = shipped_kiosk
    fresh(kiosk, "zh_CN", False)
    kiosk.settle(60)
    tap(kiosk, "button_finder")
    keyboard_up(qtbot, kiosk)
    type_on_keyboard(kiosk, "xqz")
    qtbot.waitUntil(lambda: shown(find(kiosk, "finder_none")), timeout=5_000)
    assert results(kiosk) == []
    counter = kiosk.shell.helpDesk.counter
    assert counter and counter in find(kiosk, "finder_counter").property("text")
    tap(kiosk, "button_finder_help")
    assert kiosk.shell.helpShown
    tap(kiosk, "button_help_close")
    tap(kiosk, "button_cancel")  # the footer's Cancel: home, nothing started
    assert kiosk.shell.screen == "home" and not kiosk.shell.inSession
    assert kiosk.shell.finder.query == ""


def test_left_alone_the_finder_goes_home_and_forgets(qtbot, shipped_kiosk):
    kiosk = shipped_kiosk
    fresh(kiosk, "zh_CN", False)
    kiosk.settle(60)
    try:
        tap(kiosk, "button_finder")
        keyboard_up(qtbot, kiosk)
        type_on_keyboard(kiosk, "pd")
        qtbot.waitUntil(lambda: kiosk.shell.finder.query != "", timeout=5_000)
        # only then the short wait: set before the typing, a loaded machine's taps took
        # longer than it and the finder had closed before the letters came
        kiosk.shell._idle.start(300)
        qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)
        assert kiosk.shell.finder.query == "" and kiosk.shell.finder.results == []
        kiosk.shell._idle.setInterval(60_000)  # (the next check is not raced by it)
        # the home screen drawn before the next person's tap: on a loaded machine a tap
        # as it came back was lost once (the screen still home after it)
        kiosk.settle(60)
        tap(kiosk, "button_finder")  # the next person finds the choices, no letters
        qtbot.waitUntil(lambda: kiosk.shell.screen == "finder", timeout=5_000)
        assert find(kiosk, "finder_input").property("displayText") == ""
        assert shown(find(kiosk, "choice_id_card"))
    finally:
        kiosk.shell._idle.setInterval(60_000)
        kiosk.shell.closeFinder()


@pytest.mark.parametrize("elderly", [False, True], ids=["normal", "elderly"])
def test_the_finder_keeps_the_sizes_contrast_and_reach(qtbot, shipped_kiosk, elderly):
    kiosk = shipped_kiosk
    problems = []
    for lang in ("zh_CN", "en"):
        for shown_as, query in (("choices", None), ("results", "sfz"), ("none", "xqz")):
            fresh(kiosk, lang, elderly)
            kiosk.shell.openFinder()
            if query:
                kiosk.shell.finder.search(query)
            kiosk.settle(60)
            problems += [f"{lang} {shown_as}: {p}" for p in screen_problems(kiosk, elderly)]
            least = RULES[elderly][1]  # the finder's own targets: its choices and tiles
            targets = [i for i in items(kiosk.window.contentItem()) if shown(i)
                       and i.objectName().startswith(("choice_", "result_"))]  # fmt: skip
            assert bool(targets) == (shown_as != "none"), (lang, shown_as)
            problems += [f"{lang} {t.objectName()}: {t.width():.0f}x{t.height():.0f}"
                         for t in targets if min(t.width(), t.height()) < least]  # fmt: skip
        fresh(kiosk, lang, elderly)
        kiosk.shell.toggleReach()
        kiosk.shell.openFinder()
        kiosk.settle(100)
        assert any(i.objectName().startswith("choice_") for i in touchable(kiosk))
        problems += [f"{lang} reach: {p}" for p in too_high(kiosk)]
    kiosk.shell.closeFinder()
    assert problems == []


def test_nothing_typed_is_left_once_the_finder_closes(qtbot, shipped_kiosk):
    """Someone types a name where a service's belongs: once the finder has closed, no
    object on the screen and no string in the process holds it (the leftovers sweep)."""
    from tests.ui.sweep import Sweep

    kiosk = shipped_kiosk
    fresh(kiosk, "zh_CN", False)
    kiosk.settle(60)
    # a name no other test holds (the canary's, 钱多多, lives on in other tests' data
    # when the whole suite runs in one process)
    name = "宓飞舟"
    markers = (name, "mifeizhou")
    tap(kiosk, "button_finder")
    keyboard_up(qtbot, kiosk)
    type_on_keyboard(kiosk, markers[1])  # composed on the keyboard, searched as typed
    qtbot.waitUntil(lambda: shown(find(kiosk, "finder_none")), timeout=5_000)
    kiosk.shell.finder.search(name)  # as the field hands on a chosen character
    during = Sweep(markers)
    during.objects([kiosk.window, kiosk.shell], "Qt")
    seen = any(name in f for f in during.found)
    del during  # its findings hold the name too
    assert seen  # the sweep sees it while it is there
    tap(kiosk, "button_cancel")
    kiosk.settle(200)
    left = Sweep(markers)
    left.objects([kiosk.window, kiosk.engine, kiosk.shell], "Qt")
    left.memory(markers)
    assert left.found == [], left.found
    assert left.looked_at["live containers"] > 10_000
