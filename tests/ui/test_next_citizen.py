"""Nothing of one citizen reaches the next: the keyboard learns no name, and what a
citizen chose (language, text size, the keyboard's page) is undone when they go."""

from __future__ import annotations

import os
from pathlib import Path

from flows import events as ev
from tests.ui.helpers import (
    candidates,
    find,
    tap,
    tap_item,
    texts,
    type_on_keyboard,
)

NAME_FIELD = {"id": "name", "kind": "text", "label": "flow.common.field.name"}


def a_name_form(qtbot, kiosk, step: str) -> None:
    kiosk.shell.preview(ev.Show(step, "form", "flow.common.contact", {"fields": [NAME_FIELD]}))
    qtbot.waitUntil(lambda: find(kiosk, "keyboard").property("active"), timeout=5_000)


def type_a_name(kiosk, pinyin: str, chosen: str) -> list[str]:
    """Types `pinyin`, notes the candidates offered, then picks `chosen` character by
    character (as a citizen spells an unusual name)."""
    type_on_keyboard(kiosk, pinyin)
    offered = [str(c.property("text")) for c in candidates(kiosk)]
    for character in chosen:
        (pick,) = [c for c in candidates(kiosk) if c.property("text") == character][:1]
        tap_item(kiosk, pick.parentItem())
        kiosk.settle(150)
    return offered


def files_holding(text: str, *folders: Path) -> list[Path]:
    needles = [text.encode("utf-8"), text.encode("utf-16-le")]
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and any(n in path.read_bytes() for n in needles):
                found.append(path)
    return found


def test_the_keyboard_learns_no_name_and_the_next_citizen_is_offered_none(qtbot, kiosk):
    # Without the fields' ImhSensitiveData, Qt's pinyin engine learns 彰彰 and offers
    # it second to the next person who types zhangzhang (checked by hand).
    a_name_form(qtbot, kiosk, "first")
    before = type_a_name(kiosk, "zhangzhang", "彰彰")
    assert "彰彰" not in before[:10]  # a name the dictionary does not know
    assert find(kiosk, "field_input").property("text") == "彰彰"
    kiosk.shell.wipe()  # the citizen's session ends
    kiosk.settle(100)

    a_name_form(qtbot, kiosk, "second")
    assert find(kiosk, "field_input").property("text") == ""
    offered = type_a_name(kiosk, "zhangzhang", "")
    assert "彰彰" not in offered[:10], offered[:10]
    assert offered[:5] == before[:5]

    home = Path(os.environ["HOME"])
    memory = Path(os.environ["XDG_CONFIG_HOME"])
    kiosk.shell.wipe()
    assert not files_holding("彰彰", home, memory)
    assert memory.name.startswith("kiosk-keyboard-") and not any(memory.iterdir())
    assert (os.stat(memory).st_mode & 0o777) == 0o700


def test_the_next_citizen_finds_the_terminals_own_language_and_text_size(qtbot, kiosk):
    shell = kiosk.shell
    tap(kiosk, "button_language")
    tap(kiosk, "button_elderly")
    assert shell.language == "en" and shell.elderly
    tap(kiosk, "tile_test_renewal")
    qtbot.waitUntil(lambda: shell.screen == "info", timeout=5_000)
    tap(kiosk, "button_cancel")
    qtbot.waitUntil(lambda: shell.screen == "home", timeout=15_000)
    kiosk.settle(60)
    assert shell.language == "zh_CN" and not shell.elderly
    assert shell.style.text == 30
    assert "欢迎使用" in " ".join(texts(kiosk))


def test_choices_made_on_the_home_screen_are_undone_when_nobody_goes_on(qtbot, kiosk):
    shell = kiosk.shell
    shell._idle.setInterval(300)  # HOME_IDLE_S, shortened
    tap(kiosk, "button_language")
    tap(kiosk, "button_elderly")
    assert shell.language == "en" and shell.elderly
    qtbot.waitUntil(lambda: shell.language == "zh_CN" and not shell.elderly, timeout=5_000)
