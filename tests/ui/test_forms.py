"""Forms as a citizen meets them: the on-screen keyboard never hides the footer, a
form of several fields says which of how many, errors sit under their field, and
numbers are typed on a big keypad that groups them as printed and hands them on
plain; Cancel is not offered once the service finished."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF

from flows import events as ev
from flows.forms import valid_id_number
from kiosk.strings import catalogue
from tests.ui.helpers import find, items, shown, tap, type_on_keyboard
from tests.ui.test_session import to_the_form, wait_for
from ui.gallery import SCREENS


def an_id_number(first17: str) -> str:
    """GB 11643's check character for 17 digits, from python-stdnum (written elsewhere:
    the oracle, not our own check)."""
    from stdnum.cn import ric

    return first17 + ric.calc_check_digit(first17 + "?")  # it drops the last character


def words(message_id: str) -> str:
    return catalogue().text(message_id, "en")


def rect(item) -> QRectF:
    corner = item.mapToScene(QPointF(0, 0))
    return QRectF(corner.x(), corner.y(), item.width(), item.height())


def keyboard_up(qtbot, kiosk):
    qtbot.waitUntil(lambda: find(kiosk, "keyboard").property("active"), timeout=5_000)
    kiosk.settle(100)
    return find(kiosk, "keyboard")


def shown_text(kiosk) -> str:
    return str(find(kiosk, "field_input").property("text"))


def to_the_lost_card_form(qtbot, kiosk) -> None:
    """ID renewal for a lost card, in English (letters straight from the keyboard):
    the two-field form of name and ID number."""
    tap(kiosk, "button_language")
    tap(kiosk, "tile_id_renewal")
    wait_for(qtbot, kiosk, "choose")
    tap(kiosk, "option_lost")
    wait_for(qtbot, kiosk, "form")
    assert kiosk.shell.stepId == "type_id"


def test_the_keyboard_never_hides_back_say_again_and_cancel(qtbot, shipped_kiosk):
    kiosk = shipped_kiosk
    to_the_lost_card_form(qtbot, kiosk)
    keyboard = rect(keyboard_up(qtbot, kiosk))
    assert keyboard.height() > 200  # the keyboard is really there, on the window
    assert keyboard.bottom() <= kiosk.window.height() + 1
    for name in ("button_back", "button_replay", "button_cancel"):
        button = find(kiosk, name)
        assert shown(button)
        assert rect(button).bottom() <= keyboard.top(), (name, rect(button), keyboard)
    # what is typed into stays above the footer, too
    footer_top = min(rect(find(kiosk, n)).top() for n in ("button_back", "button_cancel"))
    assert rect(find(kiosk, "field_name")).bottom() <= footer_top
    assert rect(find(kiosk, "button_next")).bottom() <= footer_top

    tap(kiosk, "button_back")  # while the keyboard is up
    wait_for(qtbot, kiosk, "choose")
    assert kiosk.shell.stepId == "reason"
    qtbot.waitUntil(lambda: not find(kiosk, "keyboard").property("active"), timeout=5_000)


def test_the_gallerys_text_form_keeps_its_footer_above_the_keyboard(qtbot, kiosk):
    (show,) = [s for name, s, _ in SCREENS if name == "form_text"]
    assert show is not None
    kiosk.shell.preview(show)
    keyboard = rect(keyboard_up(qtbot, kiosk))
    for name in ("button_replay", "button_cancel"):
        assert rect(find(kiosk, name)).bottom() <= keyboard.top()
        assert not rect(find(kiosk, name)).intersects(keyboard)


def test_two_fields_say_which_of_two_and_an_error_sits_under_its_field(qtbot, shipped_kiosk):
    kiosk = shipped_kiosk
    to_the_lost_card_form(qtbot, kiosk)
    assert find(kiosk, "field_counter").property("text") == "1 of 2"
    assert find(kiosk, "field_label").property("text") == words("flow.common.field.name")
    keyboard_up(qtbot, kiosk)
    type_on_keyboard(kiosk, "lee")
    assert shown_text(kiosk) == "lee"
    tap(kiosk, "button_next")
    kiosk.settle(100)
    assert find(kiosk, "field_counter").property("text") == "2 of 2"
    assert find(kiosk, "field_label").property("text") == words("flow.common.field.id_number")
    # the field's own label is the question: set as large as a heading
    label_size = find(kiosk, "field_label").property("font").pixelSize()
    assert label_size == kiosk.shell.style.title

    wrong = an_id_number("11010119900307123")
    wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")  # one digit mistyped
    assert not valid_id_number(wrong)
    for character in wrong:
        tap(kiosk, f"key_{character}")
    assert shown_text(kiosk) == f"{wrong[:6]} {wrong[6:14]} {wrong[14:]}"
    tap(kiosk, "button_next")  # submit: the check character does not match
    kiosk.settle(100)
    assert kiosk.shell.errors == {"id_number": "flow.error.id_number.check"}
    assert kiosk.shell.voice.spoken[-1] == ("en", "flow.error.id_number.check")  # said, too
    # the form stays on (or comes back to) the field in error, the message under it
    assert find(kiosk, "field_counter").property("text") == "2 of 2"
    error, field = find(kiosk, "field_error"), find(kiosk, "field_id_number")
    assert error.property("text") == "⚠ " + words("flow.error.id_number.check")
    assert error.property("color").name().upper() == kiosk.shell.style.alert  # the alert colour
    below = rect(error).top() - rect(field).bottom()
    assert 0 <= below <= kiosk.shell.style.gap + 1  # right under it, nothing between

    tap(kiosk, "key_clear")  # one touch: all gone, and with it the old error
    assert shown_text(kiosk) == ""
    assert not [
        i for i in items(kiosk.window.contentItem()) if i.objectName() == "field_error" and shown(i)
    ]
    right = an_id_number("11010119900307123")
    for character in right:
        tap(kiosk, f"key_{character}")
    tap(kiosk, "button_next")
    qtbot.waitUntil(lambda: kiosk.shell.stepId != "type_id", timeout=10_000)


def test_a_phone_number_is_grouped_as_typed_and_handed_on_plain(qtbot, kiosk):
    to_the_form(qtbot, kiosk)
    assert find(kiosk, "field_counter").property("text") == "第 1 项，共 2 项"
    assert not find(kiosk, "keyboard").property("active")  # digits: the keypad only
    target = kiosk.shell.style.target
    shown_as = []
    for digit in "13800138000":
        key = find(kiosk, f"key_{digit}")
        assert key.width() >= target and key.height() >= target
        assert find(kiosk, "button_next").property("enabledState") is False
        tap(kiosk, f"key_{digit}")
        shown_as.append(shown_text(kiosk))
    assert shown_as[2] == "138" and shown_as[3] == "138 0" and shown_as[7] == "138 0013 8"
    assert shown_as[-1] == "138 0013 8000"
    assert find(kiosk, "button_next").property("enabledState") is True  # 11 digits: on
    assert find(kiosk, "key_5").property("enabledState") is False  # and no twelfth
    tap(kiosk, "key_5")
    assert shown_text(kiosk) == "138 0013 8000"
    tap(kiosk, "key_delete")
    assert shown_text(kiosk) == "138 0013 800"
    assert find(kiosk, "button_next").property("enabledState") is False
    tap(kiosk, "key_clear")
    assert shown_text(kiosk) == ""
    for digit in "13800138000":
        tap(kiosk, f"key_{digit}")
    tap(kiosk, "button_next")  # to the checkbox: "2 of 2"
    assert find(kiosk, "field_counter").property("text") == "第 2 项，共 2 项"
    tap(kiosk, "toggle_agree")
    tap(kiosk, "button_next")
    wait_for(qtbot, kiosk, "confirm")
    (phone,) = [v["value"] for v in kiosk.shell.values if v["name"] == "contact.phone"]
    assert phone == "13800138000"  # plain digits: the grouping is the screen's only


def test_an_id_number_takes_x_only_as_its_last_character(qtbot, kiosk):
    field = {"id": "id_number", "kind": "id_number", "label": "flow.common.field.id_number"}
    kiosk.shell.preview(ev.Show("who", "form", "flow.common.contact", {"fields": [field]}))
    kiosk.settle(100)
    assert find(kiosk, "key_X").property("enabledState") is False
    assert find(kiosk, "key_clear")  # on a row of its own: X took its place
    for digit in "11010119900307123":
        tap(kiosk, f"key_{digit}")
    assert find(kiosk, "key_X").property("enabledState") is True
    tap(kiosk, "key_X")
    assert shown_text(kiosk) == "110101 19900307 123X"
    assert find(kiosk, "button_next").property("enabledState") is True


def test_a_new_form_step_starts_empty(qtbot, kiosk):
    phone = {"id": "phone", "kind": "phone", "label": "flow.common.field.phone"}
    kiosk.shell.preview(ev.Show("first", "form", "flow.common.contact", {"fields": [phone]}))
    kiosk.settle(100)
    tap(kiosk, "key_1")
    assert shown_text(kiosk) == "1"
    kiosk.shell.preview(ev.Show("second", "form", "flow.common.contact", {"fields": [phone]}))
    kiosk.settle(100)
    assert shown_text(kiosk) == ""


def test_cancel_is_not_offered_once_the_service_finished(qtbot, kiosk):
    (done,) = [s for name, s, _ in SCREENS if name == "done"]
    assert done is not None and done.step_type == "done"
    kiosk.shell.preview(done)
    kiosk.settle(100)
    assert find(kiosk, "button_replay")
    assert not [
        i
        for i in items(kiosk.window.contentItem())
        if i.objectName() == "button_cancel" and shown(i)
    ]
    (choose,) = [s for name, s, _ in SCREENS if name == "choose"]
    kiosk.shell.preview(choose)
    kiosk.settle(100)
    assert find(kiosk, "button_cancel")  # still there while there is something to cancel


def test_a_value_on_file_is_one_touch_and_another_can_be_typed(qtbot, kiosk):
    phone = {"id": "phone", "kind": "phone", "label": "flow.common.field.phone"}
    on_file = {**phone, "known": "138****8000"}
    kiosk.shell.preview(ev.Show("tel", "form", "flow.common.contact", {"fields": [on_file]}))
    kiosk.settle(100)
    offer = find(kiosk, "button_use_known")
    assert "138****8000" in offer.property("label")
    assert not [
        i for i in items(kiosk.window.contentItem()) if i.objectName() == "key_5" and shown(i)
    ]
    tap(kiosk, "button_type_other")
    assert find(kiosk, "key_5") and find(kiosk, "button_next")
    assert not [
        i
        for i in items(kiosk.window.contentItem())
        if i.objectName() == "button_use_known" and shown(i)
    ]
    kiosk.shell.preview(ev.Show("tel2", "form", "flow.common.contact", {"fields": [phone]}))
    kiosk.settle(100)  # nothing on file: straight to the keypad
    assert find(kiosk, "key_5")
