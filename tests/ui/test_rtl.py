"""Uyghur on the touchscreen: the layout mirrors, the keypad does not, the header
offers the city pack's languages by their own names, and every screen of the
gallery reads in Uyghur (no Chinese or English text, no message id, leaks)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPointF

from kiosk.citypack import load_pack
from kiosk.strings import catalogue
from tests.ui.conftest import _built
from tests.ui.helpers import find, items, shown, tap
from tests.ui.test_screens import screen_problems
from ui.gallery import SCREENS, fresh

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
ARABIC = re.compile(r"[\u0600-\u06ff]")


@pytest.fixture
def xinjiang_kiosk(qapp) -> Iterator:
    """The shipped flows on a terminal with the Xinjiang pack's three languages."""
    yield from _built([], languages=load_pack("xinjiang").languages)


def left(kiosk, name: str) -> float:
    item = find(kiosk, name)
    return item.mapToScene(QPointF(0, 0)).x()


def centre(kiosk, name: str) -> float:
    item = find(kiosk, name)
    return item.mapToScene(QPointF(item.width() / 2, 0)).x()


def ink(picture, item) -> tuple[int, int]:
    """The first and last column of a text item's painted letters in the window's image."""
    corner = item.mapToScene(QPointF(0, 0))
    x0, y0, w, h = int(corner.x()), int(corner.y()), int(item.width()), int(item.height())
    paper = picture.pixelColor(x0 + 1, y0 + 1)
    columns = [
        x
        for x in range(x0, x0 + w)
        for y in range(y0, y0 + h, 2)
        if abs(picture.pixelColor(x, y).lightness() - paper.lightness()) > 80
    ]
    assert columns, f"nothing painted for {item.property('text')!r}"
    return min(columns), max(columns)


def test_uyghur_mirrors_the_layout(shipped_kiosk):
    kiosk = shipped_kiosk
    width = kiosk.window.width()
    assert not kiosk.shell.rightToLeft
    assert centre(kiosk, "button_help") > width / 2  # help: on the right in Chinese
    kiosk.shell.setLanguage("ug")
    kiosk.settle(100)
    assert kiosk.shell.rightToLeft
    assert centre(kiosk, "button_help") < width / 2  # and on the left in Uyghur
    welcome = catalogue().text("ui.home.title", "ug")
    title = next(i for i in items(kiosk.window.contentItem())
                 if shown(i) and i.property("text") == welcome)  # fmt: skip
    picture = kiosk.window.grabWindow()
    for text in (title, find(kiosk, "clock")):  # the clock: digits only, aligned by the layout
        start, end = ink(picture, text)
        assert end > text.mapToScene(QPointF(text.width(), 0)).x() - 8  # flush right
        assert start > text.mapToScene(QPointF(0, 0)).x() + text.width() / 3
    kiosk.shell.setLanguage("zh_CN")
    kiosk.settle(100)
    assert centre(kiosk, "button_help") > width / 2


def test_the_keypad_stays_left_to_right(shipped_kiosk):
    kiosk = shipped_kiosk
    fresh(kiosk, "ug", False)
    kiosk.shell.preview(next(show for name, show, _ in SCREENS if name == "form"))
    kiosk.settle(100)
    assert kiosk.shell.screen == "form"
    assert left(kiosk, "key_1") < left(kiosk, "key_2") < left(kiosk, "key_3")
    assert left(kiosk, "key_1") < kiosk.window.width() / 2


def test_the_header_offers_each_of_the_packs_languages_by_its_own_name(xinjiang_kiosk):
    kiosk = xinjiang_kiosk
    assert kiosk.shell.language == "zh_CN"
    labels = {n: str(find(kiosk, f"button_language_{n}").property("label")) for n in ("ug", "en")}
    assert labels == {"ug": "ئۇيغۇرچە", "en": "English"}
    tap(kiosk, "button_language_ug")
    assert kiosk.shell.language == "ug" and kiosk.shell.rightToLeft
    assert str(find(kiosk, "button_language_zh_CN").property("label")) == "中文"
    assert not any(i.objectName() == "button_language_ug" and shown(i)
                   for i in items(kiosk.window.contentItem()))  # fmt: skip
    tap(kiosk, "button_language_en")
    assert kiosk.shell.language == "en" and not kiosk.shell.rightToLeft
    kiosk.shell.wipe()  # the next citizen finds the terminal's own language
    kiosk.settle(50)
    assert kiosk.shell.language == "zh_CN"


def test_a_language_without_a_catalogue_is_refused(shipped_kiosk, caplog):
    shipped_kiosk.shell.setLanguage("bo")
    assert shipped_kiosk.shell.language == "zh_CN"
    assert "no catalogue for language 'bo'" in caplog.text


def on_screen(kiosk) -> list[str]:
    """The catalogue's texts a citizen can see: in the window (the keyboard waits below
    it), and not the keyboard's own."""
    keyboard = set(items(find(kiosk, "keyboard")))  # Qt's own keys (pinyin for ug too)
    height = kiosk.window.height()
    return [
        str(i.property("text"))
        for i in items(kiosk.window.contentItem())
        if shown(i)
        and i.inherits("QQuickText")
        and i not in keyboard
        and i.mapToScene(QPointF(0, 0)).y() < height
    ]


def _leaks(shown_texts: list[str], allowed: set[str]) -> list[str]:
    ids = catalogue().ids()
    found = []
    for text in shown_texts:
        rest = text
        for fragment in allowed:
            rest = rest.replace(fragment, "")
        if text in ids:
            found.append(f"a message id: {text!r}")
        elif CJK.search(rest):
            found.append(f"Chinese: {text!r}")
        elif LATIN.search(rest) and not ARABIC.search(rest) and len(rest.strip()) > 1:
            found.append(f"English: {text!r}")
    return found


@pytest.mark.parametrize("mode", ["normal", "elderly"])
def test_every_gallery_screen_reads_in_uyghur_at_its_sizes(xinjiang_kiosk, mode):
    kiosk = xinjiang_kiosk
    pack = load_pack("xinjiang")
    # the other languages' own names, and the pack's own data (the counter's name),
    # are not texts of the catalogue
    allowed = {"中文", "English", pack.help_counter}
    problems = []
    for name, show, values in SCREENS:
        fresh(kiosk, "ug", mode == "elderly")
        if show is not None:
            kiosk.shell.preview(show, values)
        kiosk.settle(60)
        problems += [f"{name}: {leak}" for leak in _leaks(on_screen(kiosk), allowed)]
        # and the sizes and contrast every screen keeps, in Uyghur's mirrored layout
        problems += [f"{name}: {p}" for p in screen_problems(kiosk, mode == "elderly")]
    fresh(kiosk, "ug", mode == "elderly")
    kiosk.shell.showHelp(True)
    kiosk.settle(60)
    problems += [f"help: {leak}" for leak in _leaks(on_screen(kiosk), allowed)]
    problems += [f"help: {p}" for p in screen_problems(kiosk, mode == "elderly")]
    kiosk.shell.showHelp(False)
    assert problems == [], "\n".join(problems)


def test_the_leak_check_can_see_a_leak():
    shown_texts = ["办理完成", "All done", "flow.common.done", "يەككە ساياھەت (G)", "X"]
    assert _leaks(shown_texts, set()) == [
        "Chinese: '办理完成'", "English: 'All done'", "a message id: 'flow.common.done'"
    ]  # fmt: skip


def test_every_uyghur_letter_has_a_glyph(qapp):
    """No missing-character box: the font the screen falls back to for Arabic script
    (DejaVu Sans, packaging/apt-packages.txt) has every letter the catalogue uses."""
    from PySide6.QtGui import QFont, QTextLayout

    letters = {
        c
        for message in catalogue().messages["ug"].values()
        for c in message.text
        if ARABIC.match(c)
    }
    assert len(letters) > 30  # the Uyghur alphabet's 32 letters and its punctuation
    missing = []
    for letter in sorted(letters):
        layout = QTextLayout(letter, QFont())
        layout.beginLayout()
        layout.createLine()
        layout.endLayout()
        runs = layout.glyphRuns()
        # glyph 0 is the font's "missing character" box
        if not runs or 0 in [g for r in runs for g in r.glyphIndexes()]:
            missing.append(letter)
    assert missing == []
