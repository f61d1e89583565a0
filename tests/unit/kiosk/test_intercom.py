"""The help intercom's pieces that need no SIP stack: the netstring framing of
baresip's control port (checked against frames written out by hand from the
netstring definition), what a call's end means for the citizen, the private
config a booth's baresip gets, and `[help]` refused with one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.config import load
from kiosk.errors import ConfigError
from kiosk.intercom import CallState, HelpSection
from kiosk.intercom.baresip import NetstringReader, account_line, netstring, write_config
from kiosk.intercom.call import outcome, phone_of


def test_netstrings_as_written_by_hand() -> None:
    assert netstring(b"hello world!") == b"12:hello world!,"
    assert netstring(b"") == b"0:,"
    command = json.dumps({"command": "dial", "params": "sip:a@b", "token": "1"}).encode()
    assert netstring(command) == b'54:{"command": "dial", "params": "sip:a@b", "token": "1"},'


def test_netstrings_cut_from_a_stream_in_any_pieces() -> None:
    stream = b'12:hello world!,0:,18:{"event":true,"x"},'
    for size in (1, 2, 5, len(stream)):
        reader, got = NetstringReader(), []
        for at in range(0, len(stream), size):
            got += reader.feed(stream[at : at + size])
        assert got == [b"hello world!", b"", b'{"event":true,"x"}']


@pytest.mark.parametrize("bad", [b"12:hello world!;", b"x1:a,", b"99999999:", b"-1:,",
                                 b"aaaaaaaaaaaaaaaa"])  # fmt: skip
def test_a_malformed_frame_is_refused(bad: bytes) -> None:
    with pytest.raises(ValueError):
        NetstringReader().feed(bad)


@pytest.mark.parametrize(
    ("reason", "answered", "state"),
    [
        ("486 Busy Here", False, CallState.BUSY),
        ("486 Rejected", False, CallState.BUSY),
        ("603 Decline", False, CallState.BUSY),
        ("480 Temporarily Unavailable", False, CallState.NO_ANSWER),
        ("408 Request Timeout", False, CallState.NO_ANSWER),
        ("404 Not Found", False, CallState.UNREACHABLE),
        ("503 Service Unavailable", False, CallState.UNREACHABLE),
        ("Connection refused", False, CallState.UNREACHABLE),
        ("Connection timed out", False, CallState.UNREACHABLE),
        ("Connection reset by peer", True, CallState.ENDED),  # the room's BYE
        ("Connection reset by user", False, CallState.ENDED),  # the booth's own hangup
        ("403 Forbidden", False, CallState.FAILED),
        ("Protocol error", False, CallState.FAILED),
    ],
)
def test_what_a_calls_end_means(reason: str, answered: bool, state: CallState) -> None:
    assert outcome(reason, answered) is state


def test_the_booths_phone_records_nothing_and_keeps_its_password_off_the_disk(
    tmp_path: Path,
) -> None:
    section = HelpSection(sip_uri="sip:duty@10.20.0.5", sip_account="sip:booth-17@10.20.0.5",
                          sip_password="s3cret", sip_register=True)  # fmt: skip
    write_config(tmp_path, phone_of(section), 4444)
    config = (tmp_path / "config").read_text()
    assert "sndfile" not in config and "snd_path" not in config  # no recording, ever
    assert "ctrl_tcp_listen 127.0.0.1:4444" in config  # the control port: loopback only
    assert "module v4l2.so" in config and "module alsa.so" in config
    assert (tmp_path / "accounts").read_text() == ""  # the password is not on disk
    params = ";regint=600;answermode=manual;auth_pass=s3cret;auth_user=booth-17"
    assert account_line(phone_of(section)) == "<sip:booth-17@10.20.0.5>" + params


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"KIOSK__HELP__SIP_URI": "duty@10.20.0.5"}, "help.sip_uri"),
        ({"KIOSK__HELP__SIP_URI": "sip:duty@10.20.0.5"}, "needs help.sip_account"),
        ({"KIOSK__HELP__SIP_REGISTER": "true"}, "needs help.sip_account"),
        ({"KIOSK__HELP__RING_TIMEOUT_S": "0"}, "help.ring_timeout_s"),
        ({"KIOSK__HELP__AUDIO_SOURCE": "alsa, default"}, "help.audio_source"),
        ({"KIOSK__HELP__SIP_PASSWORD": "a;b"}, "help.sip_password"),
    ],
)
def test_a_wrong_help_section_is_one_clear_line(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(None, env=env)
    line = str(raised.value)
    assert says in line and "\n" not in line


def test_a_good_help_section_loads() -> None:
    loaded = load(None, env={"KIOSK__HELP__SIP_URI": "sip:duty@10.20.0.5;transport=tcp",
                             "KIOSK__HELP__SIP_ACCOUNT": "sip:booth-17@10.20.0.5"})  # fmt: skip
    assert loaded.config.help.sip_uri == "sip:duty@10.20.0.5;transport=tcp"
    assert load(None, env={}).config.help.sip_uri is None  # no intercom by default
