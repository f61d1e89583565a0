"""SAM frames both ways, against frames worked out by hand from the spec; the text
decoder; both parsers fed random bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.id_card import sam
from drivers.id_card import simulator as sim_codec
from drivers.id_card.photo import JpegStandIn, pad_slot
from drivers.id_card.simulator import CardProfile, SamSimulator
from drivers.model import InvalidData, ProtocolError
from tests import canary

# The spec's example: 00 03 20 01 -> checksum 0x22.
FIND = bytes.fromhex("AAAAAA9669 0003 2001 22")
# A reply "card found": SW 00 00 9F, data 00 00 00 00; length 8; checksum by hand:
# 00^08^00^00^9F^00^00^00^00 = 0x97
FOUND = bytes.fromhex("AAAAAA9669 0008 00009F 00000000 97")


def test_driver_command_frames():
    assert sam.command(0x20, 0x01) == FIND
    assert sam.command(0x11, 0xFF) == bytes.fromhex("AAAAAA9669 0003 11FF ED")


def test_simulator_reply_frames():
    assert sim_codec.reply(0x9F, bytes(4)) == FOUND
    assert sam.parse_reply(FOUND) == sam.Reply(0x9F, bytes(4))


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (FOUND[:-1] + b"\x98", "bad_checksum"),
        (FOUND[:-2] + FOUND[-1:], "bad_frame"),
        (b"\xaa\xaa\xaa\x96\x68" + FOUND[5:], "bad_frame"),
        (FOUND[:6], "bad_frame"),
    ],
)
def test_bad_reply_frames(frame, error):
    with pytest.raises(ProtocolError) as caught:
        sam.parse_reply(frame)
    assert caught.value.error == error


def test_text_decodes_to_an_identity_record():
    profile = CardProfile(
        citizen={**CardProfile().citizen, "name": canary.NAME, "sex": "2", "nation": "17"}
    )
    card = sam.decode_text(sim_codec.card_text(profile))
    assert card.card_type == "resident"
    assert card.fields["name"] == canary.NAME
    assert (card.fields["sex"], card.fields["nation"]) == ("女", "哈萨克")
    assert card.fields["id_number"] == canary.ID_NUMBER
    bad = CardProfile(citizen={**CardProfile().citizen, "nation": "77"})
    with pytest.raises(ProtocolError, match="GB 3304"):
        sam.decode_text(sim_codec.card_text(bad))


def test_photo_stand_in():
    jpeg = sim_codec.default_photo()
    assert JpegStandIn().decode(pad_slot(jpeg)) == jpeg
    with pytest.raises(InvalidData):
        JpegStandIn().decode(bytes(1024))
    with pytest.raises(ValueError):
        pad_slot(b"\xff\xd8" + bytes(2000))


@given(st.binary(max_size=60))
def test_reply_parser_never_crashes(data):
    try:
        sam.parse_reply(data)
    except ProtocolError:
        pass


@given(st.binary(min_size=256, max_size=256))
def test_text_decoder_never_crashes(data):
    try:
        sam.decode_text(data)
    except ProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_simulator_survives_any_bytes(data):
    sim = SamSimulator()
    sim.send = lambda data: None  # type: ignore[method-assign]
    sim.handle(sam.PREAMBLE + data)
    sim.handle(data)
    sim.stop()


def test_status_says_when_a_read_card_is_taken_away():
    """The take-back step polls the status until the card is gone: a card already
    read is not found again, so the reader selects it to tell present from gone."""
    from drivers.id_card.driver import SamIdCardReader

    sim = SamSimulator().start()
    reader = SamIdCardReader(port=sim.address)
    try:
        assert reader.open().result().ok
        sim.place_card()
        assert reader.read_card(5.0).result().ok
        assert reader.query_status().result().ok
        assert reader.status.media["card"] == "present"  # read, and still lying there
        sim.remove_card()
        assert reader.query_status().result().ok
        assert reader.status.media["card"] == "absent"
    finally:
        reader.close()
        sim.stop()
