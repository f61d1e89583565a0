"""A whole test flow through the real QML UI, tapped as a citizen would; then the
privacy wipe: nothing of the citizen left in any view-model or on screen."""

from __future__ import annotations

from tests.ui.helpers import find, tap, texts

PHONE = "13912345678"


def wait_for(qtbot, kiosk, screen: str, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: kiosk.shell.screen == screen, timeout=timeout)
    kiosk.settle(60)


def to_the_form(qtbot, kiosk) -> None:
    """The test renewal from the home screen to its contact form."""
    tap(kiosk, "tile_test_renewal")
    wait_for(qtbot, kiosk, "info")
    tap(kiosk, "button_continue")
    wait_for(qtbot, kiosk, "choose")
    tap(kiosk, "option_renewal")
    wait_for(qtbot, kiosk, "form")


def to_the_confirm_step(qtbot, kiosk) -> None:
    """The test renewal from the home screen to the screen of its values in full."""
    to_the_form(qtbot, kiosk)
    for digit in PHONE:
        tap(kiosk, f"key_{digit}")
    tap(kiosk, "button_next")  # to the checkbox
    tap(kiosk, "toggle_agree")
    tap(kiosk, "button_next")  # submit
    wait_for(qtbot, kiosk, "confirm")


def test_a_citizen_renews_pays_rates_and_leaves_nothing_behind(qtbot, kiosk):
    assert kiosk.shell.screen == "home"
    to_the_confirm_step(qtbot, kiosk)
    assert PHONE in " ".join(texts(kiosk))  # the one screen that shows it in full
    assert find(kiosk, "button_back")
    tap(kiosk, "button_confirm")
    wait_for(qtbot, kiosk, "pay")
    assert 100 <= kiosk.shell.secondsLeft <= 120  # the pay step's own timeout, counting down
    wait_for(qtbot, kiosk, "working")  # the demo payment went through: the slip prints
    wait_for(qtbot, kiosk, "rate")
    tap(kiosk, "rate_5")
    wait_for(qtbot, kiosk, "done")
    assert PHONE not in " ".join(texts(kiosk))
    tap(kiosk, "button_finish")
    wait_for(qtbot, kiosk, "home")

    shell = kiosk.shell
    assert shell.stepId == "" and shell.params == {} and shell.values == [] and shell.errors == {}
    assert shell._session is None and shell._engine is None
    assert PHONE not in " ".join(texts(kiosk))
    spoken = [message for _, message in shell.voice.spoken]
    assert spoken and all(m.startswith(("flow.", "ui.")) for m in spoken)  # ids, never values


def test_a_wrong_phone_number_is_shown_by_its_field(qtbot, kiosk):
    tap(kiosk, "tile_test_renewal")
    wait_for(qtbot, kiosk, "info")
    tap(kiosk, "button_continue")
    tap(kiosk, "option_renewal")
    wait_for(qtbot, kiosk, "form")
    for digit in "12345678901":  # 11 digits (Submit waits for them), no mobile number
        tap(kiosk, f"key_{digit}")
    tap(kiosk, "button_next")
    tap(kiosk, "button_next")
    kiosk.settle(100)
    assert kiosk.shell.screen == "form" and kiosk.shell.errors.get("phone")
    assert find(kiosk, "field_error")
    tap(kiosk, "button_cancel")
    wait_for(qtbot, kiosk, "home", 15_000)


def test_time_running_out_is_spoken_and_more_time_is_one_tap(qtbot, kiosk):
    tap(kiosk, "tile_short_wait")
    wait_for(qtbot, kiosk, "info")
    qtbot.waitUntil(lambda: kiosk.shell.warningSeconds > 0, timeout=5_000)
    kiosk.settle(60)
    assert kiosk.shell.warningSeconds >= 18  # at least 20 s to respond
    assert any(t.endswith("秒") for t in texts(kiosk))
    assert ("zh_CN", "ui.timeout.voice") in kiosk.shell.voice.spoken
    left = kiosk.shell.extensionsLeft
    tap(kiosk, "button_more_time")
    assert kiosk.shell.warningSeconds == -1  # the overlay is gone, the step goes on
    qtbot.waitUntil(lambda: kiosk.shell.warningSeconds > 0, timeout=5_000)
    assert kiosk.shell.extensionsLeft == left - 1
    tap(kiosk, "button_more_time")
    tap(kiosk, "button_continue")
    wait_for(qtbot, kiosk, "done")


def test_language_and_large_text_are_one_tap(qtbot, kiosk):
    before = " ".join(texts(kiosk))
    tap(kiosk, "button_language")
    assert kiosk.shell.language == "en"
    after = " ".join(texts(kiosk))
    assert "Welcome" in after and "欢迎" in before
    size = kiosk.shell.style.text
    tap(kiosk, "button_elderly")
    assert kiosk.shell.elderly and kiosk.shell.style.text > size


def test_letters_come_from_the_on_screen_keyboard_numbers_from_the_keypad(qtbot, kiosk):
    from flows import events as ev

    name_field = {"id": "name", "kind": "text", "label": "flow.common.field.name"}
    kiosk.shell.preview(ev.Show("who", "form", "flow.common.contact", {"fields": [name_field]}))
    qtbot.waitUntil(lambda: find(kiosk, "keyboard").property("active"), timeout=5_000)
    phone_field = {"id": "phone", "kind": "phone", "label": "flow.common.field.phone"}
    kiosk.shell.preview(ev.Show("tel", "form", "flow.common.contact", {"fields": [phone_field]}))
    kiosk.settle(100)
    assert find(kiosk, "key_5")
    assert not find(kiosk, "keyboard").property("active")


def test_an_address_is_picked_by_division_then_typed(qtbot, kiosk):
    from flows import events as ev

    field = {"id": "home", "kind": "address", "label": "flow.common.field.name"}
    kiosk.shell.preview(ev.Show("where", "form", "flow.common.contact", {"fields": [field]}))
    kiosk.settle(100)
    tap(kiosk, "place_130000")  # 河北省
    tap(kiosk, "place_130100")  # 石家庄市
    tap(kiosk, "place_130102")  # 长安区
    assert "河北省 › 石家庄市 › 长安区" in texts(kiosk)
    qtbot.waitUntil(lambda: find(kiosk, "keyboard").property("active"), timeout=5_000)
    assert kiosk.shell.places("") and kiosk.shell.places("110000")[0]["name"] == "东城区"


def test_a_device_fault_is_told_calmly_with_where_to_go(qtbot, kiosk):
    from flows.demo import DemoServices

    kiosk.shell.step_services = DemoServices(speed=20.0, failing={"print": "device_not_ready"})
    to_the_confirm_step(qtbot, kiosk)
    tap(kiosk, "button_confirm")
    qtbot.waitUntil(lambda: kiosk.shell.failure != "", timeout=10_000)
    kiosk.settle(100)
    shown = " ".join(texts(kiosk))
    assert "缺纸" in shown and "人工窗口" in shown  # what happened, where to go
    wait_for(qtbot, kiosk, "info")  # paid already: the flow's refund path
    tap(kiosk, "button_continue")
    wait_for(qtbot, kiosk, "done")
    tap(kiosk, "button_finish")
    wait_for(qtbot, kiosk, "home")
    assert kiosk.shell.failure == ""
