"""The ECR framing of the driver and of the simulator, each against frames worked
out by hand from drivers/card_payment/PROTOCOL.md; both fed random bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.card_payment import ecr
from drivers.card_payment import simulator as sim_codec
from drivers.card_payment.simulator import EcrSimulator
from drivers.model import ProtocolError

# STX "0006" "STATUS" ETX LRC; LRC = 0x30^0x30^0x30^0x36^S^T^A^T^U^S^0x03 = 0x11
STATUS = bytes.fromhex("02") + b"0006STATUS" + bytes.fromhex("03 11")
# SALE FS K-1 FS 2000: 13 bytes -> "000D"; LRC 0x39
SALE = b"\x02000DSALE\x1cK-1\x1c2000\x03\x39"


def test_driver_frames():
    assert ecr.frame("STATUS") == STATUS
    assert ecr.frame("SALE", "K-1", "2000") == SALE
    assert ecr.parse(SALE) == ["SALE", "K-1", "2000"]


def test_simulator_frames():
    assert sim_codec.encode("STATUS") == STATUS
    assert sim_codec.encode("SALE", "K-1", "2000") == SALE


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (SALE[:-1] + b"\x38", "bad_checksum"),
        (SALE[:-2] + b"\x04\x39", "bad_frame"),  # no ETX where the length says
        (b"\x02ZZZZ" + SALE[5:], "bad_frame"),
        (SALE[:8], "bad_frame"),
        (b"\x01" + SALE[1:], "bad_frame"),
    ],
)
def test_bad_frames(raw, error):
    with pytest.raises(ProtocolError) as caught:
        ecr.parse(raw)
    assert caught.value.error == error


@given(st.binary(max_size=80))
def test_driver_parser_never_crashes(data):
    try:
        ecr.parse(data)
    except ProtocolError:
        pass


def test_simulator_acks_and_naks(tmp_path):
    sent = []
    sim = EcrSimulator(folder=tmp_path)
    sim.send = sent.append  # type: ignore[method-assign]
    sim.handle(STATUS)
    assert sent == [b"\x06", sim_codec.encode("READY")]
    sent.clear()
    sim.handle(STATUS[:-1] + b"\x12")
    assert sent == [b"\x15"] and sim.naks_sent == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_simulator_survives_any_bytes(data):
    sim = EcrSimulator()
    sim.send = lambda data: None  # type: ignore[method-assign]
    sim.handle(data)
    sim.stop()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [STATUS, SALE[:-1] + b"\x00", b"\x06", b"\x15", b"\x02", b"\x020004", SALE[:7], b"\xff"]
        ),
        max_size=20,
    )
)
def test_simulator_survives_mutated_streams(pieces):
    sim = EcrSimulator()
    sim.send = lambda data: None  # type: ignore[method-assign]
    sim.handle(b"".join(pieces))
    sim.stop()
