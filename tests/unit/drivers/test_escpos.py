"""The driver's encoder and the simulator's decoder, each against frames computed
by hand from the ESC/POS reference; and both fed random bytes."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.model import ProtocolError
from drivers.receipt_printer import escpos
from drivers.receipt_printer.simulator import EscPosSimulator, PrinterProfile
from drivers.receipt_printer.slip import Slip, Text

H = bytes.fromhex
END = H("1d2100 1b4500 1d564200")


def test_text_line():
    slip = Slip(elements=[Text(text="AB")])
    assert escpos.encode_slip(slip) == H("1b40 1b6100 1b4500 1d2100 4142 0a") + END


def test_chinese_double_size_bold_centred_in_gbk():
    slip = Slip(elements=[Text(text="中文", size=2, bold=True, align="center")])
    assert escpos.encode_slip(slip) == H("1b40 1b6101 1b4501 1d2111 d6d0cec4 0a") + END


def test_qr_code():
    assert escpos.qr_code("T-1") == H(
        "1d286b0400314132 00"  # model 2
        "1d286b0300314306"  # module 6 dots
        "1d286b0300314531"  # error correction M
        "1d286b0600315030 542d31"  # store "T-1" (3 + 3 bytes)
        "1d286b0300315130"  # print
        "0a"
    )


def test_a_character_the_font_lacks_goes_as_raster():
    raster_calls = []

    def raster(text, size):
        raster_calls.append((text, size))
        return 1, 2, b"\xff\x00"

    data = escpos.encode_slip(Slip(elements=[Text(text="王䶮")]), raster)
    assert raster_calls == [("王䶮", 1)]
    assert H("1d7630000100 0200 ff00") in data
    assert not escpos.in_font("䶮") and escpos.in_font("王")


@pytest.mark.parametrize(
    ("printer", "offline", "paper", "media"),
    [
        (0x12, 0x12, 0x12, {"paper": "ok", "cover": "closed", "online": "yes"}),
        (0x12, 0x12, 0x1E, {"paper": "low", "cover": "closed", "online": "yes"}),
        (0x1A, 0x32, 0x72, {"paper": "out", "cover": "closed", "online": "no"}),
        (0x1A, 0x16, 0x12, {"paper": "ok", "cover": "open", "online": "no"}),
        (0x1A, 0x52, 0x12, {"paper": "ok", "cover": "closed", "online": "no", "error": "yes"}),
    ],
)
def test_status_bytes(printer, offline, paper, media):
    assert escpos.decode_status(printer, offline, paper) == media


@pytest.mark.parametrize("byte", [0x00, 0xFF, 0x13, 0x92, 0x02])
def test_a_status_byte_not_of_the_form_0xx1xx10_is_a_protocol_error(byte):
    with pytest.raises(ProtocolError):
        escpos.parse_status_byte(byte)


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
def test_status_decoder_never_crashes(a, b, c):
    try:
        media = escpos.decode_status(a, b, c)
    except ProtocolError:
        return
    assert media["paper"] in {"ok", "low", "out"}


# --- the simulator's own decoder -------------------------------------------------


@contextlib.contextmanager
def made_sim(**profile) -> Iterator[EscPosSimulator]:
    """Not started: fed directly; stopped after, so its folder of slips goes too
    (500 hypothesis examples left 500 folders in /tmp)."""
    sim = EscPosSimulator(PrinterProfile(**profile))
    try:
        yield sim
    finally:
        sim.stop()


def test_simulator_decodes_a_slip_and_answers_status(tmp_path):
    sim = EscPosSimulator(folder=tmp_path)
    assert sim.handle(H("1b40 1d2111 d6d0cec4 0a 1d2100 4142 0a")) == b""
    assert sim.handle(H("1d564200")) == b""
    assert sim.slips[0].lines == ["中文", "AB"] and sim.slips[0].png.exists()
    assert sim.handle(H("100401 100402 100404")) == H("12 12 12")


def test_simulator_keeps_paper_and_cover(tmp_path):
    sim = EscPosSimulator(PrinterProfile(paper_mm=6.0, near_end_mm=5.0), folder=tmp_path)
    sim.handle(H("4142 0a"))  # 4 mm used: near the end
    assert sim.handle(H("100404")) == H("1e")
    sim.handle(H("4142 0a 4142 0a 1d564200"))  # runs out on the way
    # out, and the near-end sensor also sees no paper, as on a real printer
    assert sim.handle(H("100404")) == H("7e") and not sim.slips[0].complete
    sim.profile.cover_open = True
    assert sim.handle(H("100402 100401")) == H("36 1a")


def test_commands_split_across_reads_are_put_together(tmp_path):
    sim = EscPosSimulator(folder=tmp_path)
    for piece in (
        H("1b"),
        H("40 1d28"),
        H("6b0600315030 54"),
        H("2d31 1d286b03003151"),
        H("30 0a 10"),
        H("04"),
    ):
        sim.handle(piece)
    assert sim.handle(H("01")) == H("12")
    sim.handle(H("1d5642 00"))
    assert "[qr:T-1]" in sim.slips[0].lines
    assert sim.unknown_commands == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_simulator_survives_any_bytes(data):
    with made_sim() as sim:
        started = time.monotonic()
        reply = sim.handle(data)
    assert time.monotonic() - started < 1.0
    assert isinstance(reply, bytes)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"\x1b@",
                b"\x1d!\x11",
                b"AB\n",
                b"\x10\x04\x04",
                b"\x1dV\x42\x00",
                b"\x1d(k\x03\x001Q0",
                b"\xff\xfe",
                b"\x1b",
                b"\x1d(",
                b"\x1dv0",
            ]
        ),
        max_size=30,
    )
)
def test_simulator_survives_mutated_streams(pieces):
    with made_sim() as sim:
        assert isinstance(sim.handle(b"".join(pieces)), bytes)  # no exception, and an answer
