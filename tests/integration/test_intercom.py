"""The help intercom on the real SIP stack: the booth's baresip (kiosk/intercom)
calls a second baresip on loopback, the duty room (kiosk/intercom/duty_room.py),
started here. The duty room's own SIP parser is the oracle of what the booth sent
(who the INVITE is from), and its `sndfile` dump of the audio it received is the
oracle that RTP carried the booth's sound (the booth sends a 660 Hz tone, the
room a 440 Hz one)."""

from __future__ import annotations

import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.intercom import CallState, HelpSection, Intercom
from kiosk.intercom.baresip import free_udp_port
from kiosk.intercom.duty_room import DutyRoom

ACCOUNT = "sip:booth-17@127.0.0.1"
BOOTH_TONE_HZ = 660


class Heard:
    """The states the booth's intercom reported, in order."""

    def __init__(self) -> None:
        self.states: list[CallState] = []
        self.changed = threading.Condition()

    def __call__(self, state: CallState) -> None:
        with self.changed:
            self.states.append(state)
            self.changed.notify_all()

    def wait(self, state: CallState, timeout_s: float = 5.0) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: state in self.states, timeout_s):
                raise AssertionError(f"no {state.value}; heard {self.states}")


def booth_section(uri: str, **changes: object) -> HelpSection:
    fields: dict[str, object] = dict(
        sip_uri=uri, sip_account=ACCOUNT, sip_listen="127.0.0.1:0", media_address="127.0.0.1",
        audio_source=f"ausine,{BOOTH_TONE_HZ}", audio_player="aubridge,nil",
        video_source="fakevideo,nil", video_size="160x120", video_fps=5,
        connect_timeout_s=2, ring_timeout_s=2,
    )  # fmt: skip
    fields.update(changes)
    return HelpSection.model_validate(fields)


@pytest.fixture
def room(tmp_path: Path) -> Iterator[DutyRoom]:
    (tmp_path / "heard").mkdir()
    duty = DutyRoom(answer_after_s=0.3, record_to=tmp_path / "heard").start()
    yield duty
    duty.stop()


@pytest.fixture
def booth(room: DutyRoom) -> Iterator[Intercom]:
    intercom = Intercom(booth_section(room.uri))
    yield intercom
    intercom.close()


def loudest_hz(dump: Path) -> float:
    with wave.open(str(dump)) as sound:
        rate, channels = sound.getframerate(), sound.getnchannels()
        samples = np.frombuffer(sound.readframes(sound.getnframes()), dtype="<i2")
    mono = samples.reshape(-1, channels)[:, 0].astype(float)
    assert len(mono) > rate // 2, f"only {len(mono)} samples heard"
    spectrum = np.abs(np.fft.rfft(mono))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[int(spectrum.argmax())])


def test_a_call_is_answered_carries_sound_and_picture_and_the_booth_hangs_up(
    booth: Intercom, room: DutyRoom, tmp_path: Path
) -> None:
    heard = Heard()
    booth.dial(heard)
    heard.wait(CallState.TALKING)
    assert heard.states == [CallState.CALLING, CallState.RINGING, CallState.TALKING]
    (call,) = room.calls
    assert call.caller == ACCOUNT  # the INVITE's From, as the duty room's parser read it
    for media in ("audio", "video"):  # RTP arrived at each end
        room.wait_for("CALL_RTPESTAB", media)
    deadline = time.monotonic() + 5
    while booth.media != {"audio", "video"} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert booth.media == {"audio", "video"}
    folder = booth._ua.folder if booth._ua else None
    assert folder is not None and sorted(p.name for p in folder.iterdir()) == [
        "accounts", "config"]  # fmt: skip  # nothing recorded on the booth
    time.sleep(1.0)  # a second of the booth's sound
    booth.hang_up()
    heard.wait(CallState.ENDED)
    room.wait_for("CALL_CLOSED")
    (dump,) = (tmp_path / "heard").glob("*-dec.wav")  # what the room received
    assert abs(loudest_hz(dump) - BOOTH_TONE_HZ) < 15
    booth.close()
    assert not folder.exists()  # the phone's folder goes with it


def test_the_duty_room_hangs_up(booth: Intercom, room: DutyRoom) -> None:
    heard = Heard()
    booth.dial(heard)
    heard.wait(CallState.TALKING)
    room.hang_up()
    heard.wait(CallState.ENDED)
    assert heard.states[-1] == CallState.ENDED


def test_busy(booth: Intercom, room: DutyRoom) -> None:
    room.mode = "busy"
    heard = Heard()
    booth.dial(heard)
    heard.wait(CallState.BUSY)
    assert CallState.TALKING not in heard.states and len(room.calls) == 1


def test_nobody_answers(booth: Intercom, room: DutyRoom) -> None:
    room.mode = "silent"
    heard = Heard()
    started = time.monotonic()
    booth.dial(heard)
    heard.wait(CallState.NO_ANSWER, timeout_s=6)
    assert time.monotonic() - started >= 2  # ring_timeout_s
    assert heard.states == [CallState.CALLING, CallState.RINGING, CallState.NO_ANSWER]
    closed = room.wait_for("CALL_CLOSED")  # the booth's CANCEL reached the room
    assert closed.direction == "incoming"
    again = Heard()
    booth.dial(again)  # and the next call goes out
    again.wait(CallState.RINGING)
    assert len(room.calls) == 2


def test_the_duty_room_down_is_unreachable() -> None:
    nobody = f"sip:duty@127.0.0.1:{free_udp_port()}"  # UDP: no answer at all
    booth = Intercom(booth_section(nobody, connect_timeout_s=1))
    try:
        heard = Heard()
        booth.dial(heard)
        heard.wait(CallState.UNREACHABLE, timeout_s=4)
        assert heard.states == [CallState.CALLING, CallState.UNREACHABLE]
    finally:
        booth.close()
    refused = f"sip:duty@127.0.0.1:{free_udp_port()};transport=tcp"  # TCP: refused at once
    booth = Intercom(booth_section(refused, connect_timeout_s=10))
    try:
        heard = Heard()
        booth.dial(heard)
        heard.wait(CallState.UNREACHABLE, timeout_s=4)
    finally:
        booth.close()


def test_no_sip_stack_is_unreachable_and_says_why(caplog, room: DutyRoom) -> None:
    booth = Intercom(booth_section(room.uri, baresip=Path("/nonexistent/baresip")))
    try:
        heard = Heard()
        booth.dial(heard)
        heard.wait(CallState.UNREACHABLE, timeout_s=3)
    finally:
        booth.close()
    assert "apt-get install baresip-core" in caplog.text
    assert room.calls == []


def test_the_booth_takes_no_call(room: DutyRoom) -> None:
    """Nobody rings a booth to listen to whoever stands in it: refused at once."""
    port = free_udp_port()
    booth = Intercom(booth_section(room.uri, sip_listen=f"127.0.0.1:{port}"))
    try:
        booth.start()
        time.sleep(0.3)
        room.call(f"sip:booth-17@127.0.0.1:{port}")
        closed = room.wait_for("CALL_CLOSED")
        assert closed.param.startswith("486"), closed
        assert booth.state is None  # nothing was ever live on the booth
    finally:
        booth.close()


def test_kiosk_run_sim_calls_a_duty_room_of_its_own() -> None:
    """`make run` (kiosk run --sim, no [help] configured): 求助 really calls."""
    from kiosk.app import help_intercom
    from kiosk.config import load

    config = load(None, env={}).config
    assert config.help.sip_uri is None
    intercom, duty_room = help_intercom(config, simulated=True)
    try:
        heard = Heard()
        intercom.dial(heard)
        heard.wait(CallState.TALKING)
        (call,) = duty_room.calls
        assert call.caller == f"sip:{config.terminal.id}@127.0.0.1"
    finally:
        intercom.close()
        duty_room.stop()
    assert help_intercom(config, simulated=False) == (None, None)  # a terminal: [help] only
