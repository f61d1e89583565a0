"""Where a text tells the citizen to tap a button, the button is called that: the
name in quotes after 点击 / tap is the label of a button on the screens."""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.strings import LANGUAGES, catalogue

QML = Path(__file__).resolve().parents[3] / "ui" / "qml"
# 点击“X” / tap “X”: the quoted name of what to tap
NAMED = re.compile(r"(?:点击|tap)\s*“([^”]+)”", re.IGNORECASE)
# a tap not followed by a quoted name, where a button is meant ("tap the button")
UNNAMED = re.compile(r"(?:点击|\btap)(?!\s*“)(?!\s*(?:your|you))", re.IGNORECASE)


def button_ids() -> set[str]:
    """Message ids that label a button (KButton's textId, in every screen)."""
    found: set[str] = set()
    for qml in QML.rglob("*.qml"):
        found.update(re.findall(r'textId:\s*(?:[^"\n]*\?\s*)?"([^"]+)"', qml.read_text()))
        found.update(re.findall(r'textId:[^\n]*:\s*"([^"]+)"', qml.read_text()))
    return found


def test_the_button_ids_are_found():
    ids = button_ids()
    assert {"ui.confirm", "ui.timeout.more", "ui.help", "ui.cancel"} <= ids, ids


def test_every_button_a_text_names_exists_by_that_name():
    strings = catalogue()
    ids = button_ids()
    for lang in LANGUAGES:
        labels = {strings.text(i, lang) for i in ids}
        for message_id, message in strings.messages[lang].items():
            for name in NAMED.findall(message.text):
                assert name in labels, (lang, message_id, name, sorted(labels))
            if lang == "zh_CN":
                assert not UNNAMED.search(message.text), (message_id, message.text)
