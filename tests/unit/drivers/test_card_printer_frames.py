"""The rewrite module's frames, each side's codec against frames computed by hand and the
CRCs against their catalogue check values (CRC-16/CCITT-FALSE 29B1, CRC-32 CBF43926)."""

from __future__ import annotations

import pytest

from drivers.card_printer import frames as fr
from drivers.card_printer import simulator as sim_codec
from drivers.card_printer.raster import Raster
from drivers.card_printer.simulator import CardPrinterProfile, TrwPrinterSimulator
from drivers.model import InvalidData


def test_the_crcs_are_the_catalogues_on_both_sides():
    assert fr.crc16(b"123456789") == sim_codec._crc16(b"123456789") == 0x29B1
    assert fr.crc32(b"123456789") == sim_codec._crc32(b"123456789") == 0xCBF43926


def test_a_status_request_is_the_transports_frame():
    # F2 ^ 00 ^ 00 ^ 03 ^ 43 ^ 31 ^ 30 ^ 03 = B0
    assert fr.command(fr.STATUS, fr.ASK) == bytes.fromhex("F2 00 00 03 43 31 30 03 B0")


def answers(frame: bytes, **profile: object) -> list[bytes]:
    """What the simulator sends back for `frame` (no pty: its send captured)."""
    sim = TrwPrinterSimulator(CardPrinterProfile(**profile), pacing=False)  # type: ignore[arg-type]
    sent: list[bytes] = []
    sim.send = sent.append  # type: ignore[method-assign]
    sim.handle(frame)
    sim.stop()
    return sent


def test_the_simulator_answers_a_status_by_hand():
    # 'P' 31 30, ST0 0 (no card) ST1 0 (head ok) ST2 0, "030" °C; BCC by hand: AA
    reply = answers(bytes.fromhex("F2 00 00 03 43 31 30 03 B0"), head_c=30.0)
    assert reply == [bytes.fromhex("06 F2 00 00 09 50 31 30 30 30 30 30 33 30 03 AA")]
    assert fr.parse(reply[0][1:]) == fr.Reply(True, 0x31, 0x30, "000", b"030")


def test_a_frame_with_a_bad_bcc_gets_nak_alone():
    assert answers(bytes.fromhex("F2 00 00 03 43 31 30 03 B1")) == [b"\x15"]


def test_a_chunk_whose_crc_is_wrong_is_refused_c1():
    body = fr.begin(256, 64)
    sim = TrwPrinterSimulator(CardPrinterProfile(width=256, height=64), pacing=False)
    sent: list[bytes] = []
    sim.send = sent.append  # type: ignore[method-assign]
    sim.handle(fr.command(fr.IMAGE, fr.BEGIN, body))
    good = fr.chunk(0, b"\x5a" * 16)
    sim.handle(fr.command(fr.IMAGE, fr.CHUNK, good))
    sim.handle(fr.command(fr.IMAGE, fr.CHUNK, good[:-1] + bytes([good[-1] ^ 1])))
    sim.stop()
    replies = [fr.parse(s[1:]) for s in sent]
    # no card, head ok, an image loading (ST2 1) after the begin and the good chunk
    assert [(r.positive, r.status) for r in replies] == [(True, "001"), (True, "001"),
                                                         (False, "C1")]  # fmt: skip
    # 'N' 52 31 'C' '1': F2 ^ 00 ^ 00 ^ 05 ^ 4E ^ 52 ^ 31 ^ 43 ^ 31 ^ 03 = AB
    assert sent[-1] == bytes.fromhex("06 F2 00 00 05 4E 52 31 43 31 03 AB")


def test_a_read_back_answer_is_checked_by_its_crc():
    body = b"\x00\x00\x04\x00" + b"\xff\x00"
    good = body[4:] + fr.crc16(body).to_bytes(2, "big")
    assert fr.read_answer(0x400, good) == b"\xff\x00"
    assert fr.read_answer(0x401, good) is None  # another offset: another CRC


def test_a_raster_must_have_the_bytes_its_size_says():
    assert Raster.blank(10, 3).row_bytes == 2 and len(Raster.blank(10, 3).data) == 6
    with pytest.raises(InvalidData):
        Raster(10, 3, bytes(5))
    dot = Raster(10, 1, b"\x00\x40")
    assert dot.dark(9, 0) and not dot.dark(8, 0) and dot.dots() == 1
