"""The chip and the terminal talking directly (no PC/SC): BAC, secure messaging,
DG1/DG2, the permit applet; and the parsers against any bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.model import Code
from drivers.smartcard import apdu, face, mrz, permit, terminal
from drivers.smartcard.lds import LdsError
from drivers.smartcard.simulator import SmartcardProfile, build_chip

FACES = Path(__file__).resolve().parents[2] / "data" / "faces"
ISSUER = bytes.fromhex(SmartcardProfile().issuer_key)


def card(**fields):
    profile = SmartcardProfile(face_image=str(FACES / "grace_hopper.jpg"), **fields)
    chip = build_chip(profile)
    return profile, chip, terminal.CardSession(chip.process)


def ticket(serial: str = "E-1") -> permit.Endorsement:
    return permit.Endorsement(serial, "MO", "L", permit.MULTIPLE, "20271231", "202611231200", "T9")


@pytest.mark.parametrize("image_format", ["jpeg", "jpeg2000"])
def test_a_document_is_read_whole(image_format):
    profile, _, session = card(face_format=image_format)
    document = terminal.read_document(session, profile.key_info)
    assert document.mrz.document_number == profile.document_number
    assert document.mrz.names == profile.names and document.data_groups == [1, 2]
    assert document.face is not None and document.face.format == image_format
    assert document.face.decoded().shape == (531, 413, 3)
    assert 8_000 < len(document.face.data) <= 21_000  # about the profile's 20 KB


def test_the_wrong_key_is_access_denied():
    _, _, session = card()
    with pytest.raises(apdu.StatusWordError) as refused:
        terminal.read_document(session, mrz.key_info("C01234567", "800102", "300101"))
    assert (refused.value.error, refused.value.code) == ("access_denied", Code.USER_ERROR)


def test_files_are_behind_bac_and_a_plain_command_ends_the_session():
    profile, chip, session = card()
    select_dg1 = apdu.command(0x00, 0xA4, 0x02, 0x0C, b"\x01\x01")
    session.plain(apdu.command(0x00, 0xA4, 0x04, 0x0C, terminal.ICAO_AID), "select")
    assert chip.process(select_dg1)[-2:] == b"\x69\x82"
    session.open(terminal.ICAO_AID, profile.key_info)
    assert chip.process(select_dg1)[-2:] == b"\x69\x87"  # plain after BAC: refused
    with pytest.raises(apdu.StatusWordError):  # and the session is over
        session.select_file(terminal.EF_DG1)


def test_a_tampered_answer_is_refused_before_decryption():
    profile, chip, session = card()
    session.open(terminal.ICAO_AID, profile.key_info)
    session.select_file(terminal.EF_DG2)

    def tampered(command: bytes) -> bytes:
        answer = chip.process(command)
        return answer[:5] + bytes([answer[5] ^ 1]) + answer[6:]  # a byte of the ciphertext

    session.transmit = tampered
    with pytest.raises(terminal.ChipNotTrusted):
        session.checked(b"\x0c\xb0\x00\x00", le=0xDF)
    assert session.sm is None


def test_an_endorsement_is_written_once_and_read_back():
    profile, chip, session = card()
    first = terminal.write_endorsement(session, profile.key_info, ISSUER, ticket("E-1"))
    assert [e.serial for e in first.endorsements] == ["E-1"]
    again = terminal.write_endorsement(session, profile.key_info, ISSUER, ticket("E-1"))
    assert [e.serial for e in again.endorsements] == ["E-1"]  # by serial: not twice
    terminal.write_endorsement(session, profile.key_info, ISSUER, ticket("E-2"))
    read = terminal.read_permit(session, profile.key_info, ISSUER)
    assert [e.serial for e in read.endorsements] == ["E-1", "E-2"] and read.forged == 0
    assert read.holder.name == profile.name and read.holder.birth_date == "19800101"
    assert len(chip.applications[permit.PERMIT_AID].records) == 2


def test_the_card_refuses_an_endorsement_not_sealed_by_the_issuer():
    profile, chip, session = card()
    with pytest.raises(apdu.StatusWordError) as refused:
        terminal.write_endorsement(session, profile.key_info, bytes(16), ticket())
    assert refused.value.error == "refused_data"
    assert chip.applications[permit.PERMIT_AID].records == []


def test_the_same_serial_with_other_contents_is_not_taken_as_written():
    profile, _, session = card()
    terminal.write_endorsement(session, profile.key_info, ISSUER, ticket("E-1"))
    other = permit.Endorsement("E-1", "HK", "G", 1, "20270101", "202611231200", "T9")
    with pytest.raises(terminal.WriteNotVerified):
        terminal.write_endorsement(session, profile.key_info, ISSUER, other)


def test_a_full_permit_says_so():
    profile, chip, session = card()
    chip.applications[permit.PERMIT_AID].max_records = 1
    terminal.write_endorsement(session, profile.key_info, ISSUER, ticket("E-1"))
    with pytest.raises(apdu.StatusWordError) as full:
        terminal.write_endorsement(session, profile.key_info, ISSUER, ticket("E-2"))
    assert (full.value.error, full.value.recovery.value) == ("card_full", "operator")


def test_personal_data_stays_out_of_reprs():
    profile, _, session = card()
    document = terminal.read_document(session, profile.key_info)
    permit_read = terminal.read_permit(session, profile.key_info, ISSUER)
    shown = repr(document) + repr(permit_read)
    for secret in (profile.document_number, "ZHANG", profile.name, "800101"):
        assert secret not in shown
    assert "\\xff\\xd8" not in shown  # no image bytes


@given(
    number=st.text("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=1, max_size=9),
    birth=st.dates().map(lambda d: d.strftime("%y%m%d")),
    expiry=st.dates().map(lambda d: d.strftime("%y%m%d")),
)
def test_composed_td3_lines_parse_back(number, birth, expiry):
    parsed = mrz.parse(mrz.compose_td3(number, birth, expiry, "DOE<<JANE"))
    assert (parsed.document_number, parsed.birth_date, parsed.expiry_date) == (
        number,
        birth,
        expiry,
    )


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_dg2_and_permit_parsers_fail_only_with_lds_errors(data):
    for parse in (face.decode, permit.Holder.decode, lambda d: permit.open_record(d, ISSUER)):
        try:
            parse(data)
        except LdsError:
            pass


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_the_chip_answers_any_bytes_with_a_status_word(data):
    profile, chip, session = card()
    session.open(terminal.ICAO_AID, profile.key_info)
    answer = chip.process(data)
    assert len(answer) >= 2 and answer[-2:] != b"\x00\x00"
