"""求助 calls the duty room by video as well: the real QML, the booth's intercom on
Debian's baresip, and a second baresip on loopback as the duty room (started
here). The overlay says what the call is doing (calling, talking), hangs up when
closed, gives the phone number when the room is busy or nobody answers, and the
session's end hangs up a call still going."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.intercom import CallState, Intercom
from kiosk.intercom.duty_room import DutyRoom
from tests.integration.test_intercom import booth_section
from tests.ui.conftest import TEST_FLOW, _built
from tests.ui.helpers import find, tap, texts

CONTACTS = ("010-8888 1234", "海淀派出所 户籍窗口")


@pytest.fixture
def room() -> Iterator[DutyRoom]:
    duty = DutyRoom(answer_after_s=0.8).start()
    yield duty
    duty.stop()


@pytest.fixture
def booth(qapp, room: DutyRoom) -> Iterator:
    intercom = Intercom(booth_section(room.uri, ring_timeout_s=1.5))
    intercom.start()
    for kiosk in _built([str(TEST_FLOW)], help_contacts=lambda: CONTACTS,
                        help_intercom=intercom):  # fmt: skip
        kiosk.intercom = intercom
        yield kiosk
    intercom.close()


def call_state(kiosk) -> str:
    return str(kiosk.shell.helpDesk.callState)


def shown(kiosk) -> str:
    kiosk.settle(50)
    return "\n".join(texts(kiosk))


def button_label(kiosk) -> str:
    return str(find(kiosk, "button_help_close").property("label"))


def test_the_help_overlay_follows_the_video_call(
    qtbot, booth, room: DutyRoom, tmp_path: Path
) -> None:
    kiosk = booth
    seen: list[tuple[str, str, str]] = []  # each state as the overlay showed it

    def look() -> None:
        if kiosk.shell.helpShown and (not seen or seen[-1][0] != call_state(kiosk)):
            line = find(kiosk, "help_call").property("text")
            seen.append((call_state(kiosk), str(line), button_label(kiosk)))

    kiosk.shell.helpDesk.changed.connect(look)  # after the QML's own bindings
    # (it also changes for the backend's help call: only the call's own changes count)
    tap(kiosk, "button_help")
    qtbot.waitUntil(lambda: call_state(kiosk) == "talking", timeout=5_000)
    assert [state for state, _, _ in seen] == ["calling", "ringing", "talking"]
    calling, ringing, talking = seen
    assert "正在接通值班室视频" in calling[1] and calling[2] == "挂断"
    assert "值班室正在响铃" in ringing[1] and ringing[2] == "挂断"
    assert "已接通值班民警" in talking[1] and talking[1] in shown(kiosk)
    assert CONTACTS[0] not in shown(kiosk)  # through: no number to call
    assert room.calls[0].caller == "sip:booth-17@127.0.0.1"
    kiosk.grab(tmp_path / "help_talking.png")
    tap(kiosk, "button_help_close")  # 挂断: the overlay closes, so does the line
    room.wait_for("CALL_CLOSED")
    qtbot.waitUntil(lambda: call_state(kiosk) == "ended", timeout=5_000)
    assert not kiosk.shell.helpShown

    room.mode = "busy"  # 求助 again: a new call, and the room is busy
    tap(kiosk, "button_help")
    qtbot.waitUntil(lambda: call_state(kiosk) == "busy", timeout=5_000)
    text = shown(kiosk)
    assert "值班室占线" in text and CONTACTS[0] in text and CONTACTS[1] in text
    assert button_label(kiosk) == "关闭"

    tap(kiosk, "button_help_close")
    tap(kiosk, "button_language")  # nobody answers, in English
    room.mode = "silent"
    tap(kiosk, "button_help")
    qtbot.waitUntil(lambda: call_state(kiosk) == "no_answer", timeout=6_000)
    text = shown(kiosk)
    assert "Nobody answered in the duty room" in text and CONTACTS[0] in text
    kiosk.grab(tmp_path / "help_no_answer.png")
    assert len(room.calls) == 3


def test_the_end_of_the_session_hangs_up(qtbot, booth, room: DutyRoom) -> None:
    kiosk = booth
    tap(kiosk, "tile_test_renewal")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "info", timeout=5_000)
    tap(kiosk, "button_help")
    qtbot.waitUntil(lambda: call_state(kiosk) == "talking", timeout=5_000)
    kiosk.shell.cancel()  # the session ends under the overlay (as a timeout would end it)
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=10_000)
    kiosk.shell.answer("finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)
    closed = room.wait_for("CALL_CLOSED")  # the booth hung up: the room saw the BYE
    assert closed.direction == "incoming"
    assert call_state(kiosk) == "" and not kiosk.shell.helpShown  # nothing kept
    qtbot.waitUntil(lambda: kiosk.intercom.state == CallState.ENDED, timeout=5_000)
