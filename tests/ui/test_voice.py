"""The voice: the home screen greets once per approach, every screen says its
prompt and then what to do, the Mandarin prompts come from the files rendered at
build time (a missing one is said by the engine), and only message ids are said."""

from __future__ import annotations

import re
import wave
from pathlib import Path

import pytest

from flows.loader import flow_files, load_flow
from kiosk.strings import Catalogue, _placeholders, catalogue
from tests.ui.conftest import TEST_FLOW
from tests.ui.helpers import items, shown, tap, tap_item
from tests.ui.test_session import PHONE, to_the_confirm_step
from ui import shell as shell_module
from ui import voices
from ui.voice import ENGINE, FILE, Voice

ROOT = Path(__file__).resolve().parents[2]
GREETING = ("zh_CN", "ui.home.greeting")


def greetings(kiosk) -> int:
    return sum(1 for said in kiosk.shell.voice.spoken if said[1] == "ui.home.greeting")


def tap_home_background(kiosk) -> None:
    """A touch on the home screen away from its buttons: on its title."""
    title = catalogue().text("ui.home.title", kiosk.shell.language)
    found = [
        i
        for i in items(kiosk.window.contentItem())
        if shown(i) and i.inherits("QQuickText") and i.property("text") == title
    ]
    assert found, "no home title to touch"
    tap_item(kiosk, found[0])


# --- the greeting ---------------------------------------------------------------------


def test_someone_approaching_is_greeted_once(kiosk):
    shell = kiosk.shell
    assert greetings(kiosk) == 0  # a terminal nobody stands at is silent
    shell.someoneApproached()
    assert shell.voice.spoken[-1] == GREETING
    shell.someoneApproached()  # the sensor again: the same person, still there
    tap_home_background(kiosk)
    shell.toggleElderly()
    assert greetings(kiosk) == 1


def test_the_first_touch_on_the_home_screen_greets(kiosk):
    tap_home_background(kiosk)
    assert kiosk.shell.voice.spoken == [GREETING]
    tap_home_background(kiosk)
    assert greetings(kiosk) == 1


def test_a_language_change_greets_again_in_the_new_language(kiosk):
    kiosk.shell.toggleLanguage()  # the first touch: greeted, then said again in English
    assert kiosk.shell.voice.spoken == [GREETING, ("en", "ui.home.greeting")]


def test_the_greeting_comes_again_after_the_home_screen_was_idle(qtbot, kiosk):
    shell = kiosk.shell
    shell._idle.setInterval(200)  # HOME_IDLE_S, shortened
    shell.someoneApproached()
    shell.someoneApproached()
    assert greetings(kiosk) == 1
    qtbot.wait(400)  # nobody touched: whoever comes next is someone else
    shell.someoneApproached()
    assert greetings(kiosk) == 2


def test_the_greeting_comes_again_after_a_session_ended(qtbot, kiosk):
    shell = kiosk.shell
    shell.someoneApproached()
    tap(kiosk, "tile_test_renewal")  # a tile starts the service: its own prompt, no greeting
    qtbot.waitUntil(lambda: shell.screen == "info", timeout=10_000)
    assert greetings(kiosk) == 1
    shell.someoneApproached()  # the sensor during a session: nothing said over the service
    assert greetings(kiosk) == 1
    shell.cancel()
    qtbot.waitUntil(lambda: shell.screen == "done", timeout=10_000)
    kiosk.settle(60)
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: shell.screen == "home", timeout=10_000)
    shell.someoneApproached()
    assert greetings(kiosk) == 2


def test_a_tile_tapped_first_starts_the_service_without_a_greeting(qtbot, kiosk):
    tap(kiosk, "tile_test_renewal")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "info", timeout=10_000)
    assert greetings(kiosk) == 0


# --- each screen: its prompt, then its action -------------------------------------------


def test_each_screen_says_its_prompt_then_what_to_do(qtbot, kiosk):
    shell = kiosk.shell
    flow = load_flow(TEST_FLOW, catalogue())
    to_the_confirm_step(qtbot, kiosk)
    spoken = [message for _, message in shell.voice.spoken]
    for step_id, action in (
        ("welcome", "ui.voice.action.info"),
        ("reason", "ui.voice.action.choose"),
        ("contact", "ui.voice.action.form"),
        ("check", "ui.voice.action.confirm"),
    ):
        step = flow.steps[step_id]
        prompt = spoken.index(step.voice or step.text)
        assert spoken[prompt + 1] == action, (step_id, spoken)
    shell.replay()  # "say again": the prompt and the action, not only the last words
    step = flow.steps["check"]
    assert [m for _, m in shell.voice.spoken[-2:]] == [
        step.voice or step.text,
        "ui.voice.action.confirm",
    ]


def test_every_step_type_a_citizen_taps_through_has_an_action():
    strings = catalogue()
    for step_type, message_id in shell_module.ACTIONS.items():
        assert strings.text(message_id, "zh_CN") != message_id, step_type
        assert strings.text(message_id, "en") != message_id, step_type
    assert {"choose", "form", "info", "confirm", "rate", "done"} <= set(shell_module.ACTIONS)


def test_nothing_personal_is_ever_said(qtbot, kiosk):
    kiosk.shell.someoneApproached()
    to_the_confirm_step(qtbot, kiosk)
    strings = catalogue()
    said = kiosk.shell.voice.spoken
    assert said and all(message_id in strings.ids() for _, message_id in said)
    for lang, message_id in said:  # a message that said a value would need a placeholder
        assert not _placeholders(strings.text(message_id, lang)), message_id
        assert PHONE not in strings.text(message_id, lang)


# --- the rendered prompts -------------------------------------------------------------


def sayable_ids(strings: Catalogue) -> set[str]:
    """Every message id the shell and the flows can hand the voice: the steps'
    prompts, the engine's own, the literal ids in ui/, and the families the shell
    composes (failures, face check hints, help answers, photo hints)."""
    found = {"flow.timeout.warning", shell_module.GREETING, *shell_module.ACTIONS.values()}
    for path in flow_files():
        for step in load_flow(path, strings).steps.values():
            found |= {step.text, *([step.voice] if step.voice else [])}
    for source in (ROOT / "ui").glob("*.py"):
        found |= set(re.findall(r"\bsay\(\s*\"([\w.]+)\"", source.read_text(encoding="utf-8")))
    families = ("ui.failure.", "ui.face.", "ui.finger.", "ui.help.", "photo.problem.")
    found |= {i for i in strings.ids() if i.startswith(families)}
    return found


def test_the_rendered_prompts_cover_everything_the_voice_can_say():
    strings = catalogue()
    sayable = sayable_ids(strings)
    assert len(sayable) > 60  # the walk found the flows' steps, not nothing
    prompts = voices.prompts(strings)
    fixed = {i for i in sayable if not _placeholders(strings.text(i, "zh_CN"))}
    assert fixed - set(prompts) == set()
    assert not any(i.startswith(("cmd.", "status.")) for i in prompts)  # nobody hears those


def test_every_prompt_was_rendered_at_build_time_as_speech():
    """`make` rendered build/voice: every spoken Mandarin message has its file, and
    each file is speech-like: 24 kHz, not silent, as long as its text."""
    strings = catalogue()
    assert voices.missing(strings) == []
    for message_id in ("flow.common.place_card", "ui.home.greeting", "ui.timeout.voice"):
        text = strings.text(message_id, "zh_CN")
        with wave.open(str(voices.path_for(text, "zh_CN")), "rb") as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
            seconds = wav.getnframes() / wav.getframerate()
            frames = wav.readframes(wav.getnframes())
        hanzi = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
        assert 2.0 <= hanzi / seconds <= 8.0, (message_id, hanzi, seconds)  # Mandarin pace
        assert max(abs(int.from_bytes(frames[i : i + 2], "little", signed=True))
                   for i in range(0, len(frames), 2)) > 20_000  # fmt: skip


def a_wav(path: Path, seconds: float = 0.2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(24000)
        wav.writeframes(b"\x00\x10" * int(24000 * seconds))


def test_a_rendered_prompt_is_played_and_a_missing_one_falls_back_to_the_engine(qtbot, tmp_path):
    strings = catalogue()
    a_wav(voices.path_for(strings.text("ui.home.greeting", "zh_CN"), "zh_CN", tmp_path))
    voice = Voice(strings, "mock", cache=tmp_path)
    voice.say("ui.home.greeting", "zh_CN")
    voice.say("ui.help.voice", "zh_CN", then=True)  # no file: after the greeting, the engine
    voice.say("ui.home.greeting", "en", then=True)  # English: the engine
    assert voice.played == [
        ("zh_CN", "ui.home.greeting", FILE),
        ("zh_CN", "ui.help.voice", ENGINE),
        ("en", "ui.home.greeting", ENGINE),
    ]
    assert voice._busy == FILE
    # the file plays (to no audio device off screen) and ends: the engine goes on
    qtbot.waitUntil(lambda: voice._busy == ENGINE, timeout=5_000)
    qtbot.waitUntil(lambda: voice._busy is None and not voice._queue, timeout=10_000)


def test_a_text_changed_since_the_build_is_said_by_the_engine(tmp_path):
    strings = catalogue()
    a_wav(voices.path_for("一句旧的话", "zh_CN", tmp_path))
    voice = Voice(strings, None, cache=tmp_path)
    assert voice.rendered("一句旧的话", "zh_CN") is not None
    assert voice.rendered(strings.text("ui.help.voice", "zh_CN"), "zh_CN") is None
    assert voices.key("一句旧的话") != voices.key("一句新的话")


def test_a_new_prompt_interrupts_and_forget_leaves_nothing_to_replay(qtbot, tmp_path):
    strings = catalogue()
    a_wav(voices.path_for(strings.text("ui.home.greeting", "zh_CN"), "zh_CN", tmp_path), 3.0)
    voice = Voice(strings, "mock", cache=tmp_path)
    voice.say("ui.home.greeting", "zh_CN")
    voice.say("ui.help.voice", "zh_CN", then=True)
    voice.say("ui.timeout.voice", "zh_CN")  # instead of both
    assert voice._busy == ENGINE and voice._queue == []
    voice.forget()
    assert voice._busy is None
    voice.replay("zh_CN")
    assert voice.spoken[-1] == ("zh_CN", "ui.timeout.voice")  # nothing new was said


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_no_cache_means_the_engine_says_everything(lang):
    voice = Voice(catalogue(), None)
    voice.say("ui.home.greeting", lang)
    assert voice.played == [(lang, "ui.home.greeting", ENGINE)]
