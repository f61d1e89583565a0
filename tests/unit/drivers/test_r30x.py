"""R30x packets both ways against packets worked out by hand; parsers fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.fingerprint import packets as pk
from drivers.fingerprint.simulator import R30xSimulator
from drivers.model import ProtocolError

# VfyPwd(0): EF01 FFFFFFFF 01 0007 13 00000000, checksum 01+00+07+13 = 0x001B
VFYPWD = bytes.fromhex("EF01 FFFFFFFF 01 0007 13 00000000 001B")
# Ack "no finger": EF01 FFFFFFFF 07 0003 02, checksum 07+00+03+02 = 0x000C
NO_FINGER = bytes.fromhex("EF01 FFFFFFFF 07 0003 02 000C")


def test_driver_packets():
    assert pk.packet(pk.COMMAND, bytes.fromhex("13 00000000")) == VFYPWD
    assert pk.parse(NO_FINGER) == pk.Packet(pk.ACK, b"\x02")


def test_simulator_answers_a_hand_made_packet(tmp_path):
    sent = []
    sim = R30xSimulator(folder=tmp_path)
    sim.send = sent.append  # type: ignore[method-assign]
    sim.handle(bytes.fromhex("EF01 FFFFFFFF 01 0003 01 0005"))  # GenImg, no finger
    assert sent == [NO_FINGER]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (NO_FINGER[:-1] + b"\x0d", "bad_checksum"),
        (NO_FINGER[:-3] + NO_FINGER[-2:], "bad_frame"),
        (b"\xef\x02" + NO_FINGER[2:], "bad_frame"),
        (NO_FINGER[:6] + b"\x05" + NO_FINGER[7:-2] + b"\x00\x0a", "bad_frame"),
    ],
)
def test_bad_packets(raw, error):
    with pytest.raises(ProtocolError) as caught:
        pk.parse(raw)
    assert caught.value.error == error


@given(st.binary(max_size=40))
def test_packet_parser_never_crashes(data):
    try:
        pk.parse(data)
    except ProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_simulator_survives_any_bytes(data):
    sim = R30xSimulator()
    sim.send = lambda data: None  # type: ignore[method-assign]
    sim.handle(b"\xef\x01" + data)
    sim.handle(data)
    sim.stop()
