"""MRZ and BAC against ICAO 9303 (part 4's specimen, part 11's worked example),
value by value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.smartcard import bac, mrz

H = bytes.fromhex
TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"


def test_check_digits():
    assert mrz.check_digit("L898902C<") == "3"
    assert mrz.check_digit("690806") == "1"
    assert mrz.check_digit("940623") == "6"
    assert mrz.check_digit("520727") == "3"


def test_td3_specimen():
    parsed = mrz.parse(TD3)
    assert (parsed.kind, parsed.document_number, parsed.birth_date, parsed.expiry_date) == (
        "TD3",
        "L898902C3",
        "740812",
        "120415",
    )
    assert parsed.names == "ERIKSSON<<ANNA<MARIA" and parsed.sex == "F"
    with pytest.raises(mrz.MrzError, match="birth date"):
        mrz.parse(TD3.replace("7408122", "7408123"))
    with pytest.raises(mrz.MrzError, match="not TD1, TD2 or TD3"):
        mrz.parse("P<UTO\nL898902C3")


def test_an_mrz_with_its_lines_joined_reads_the_same():
    """OCR readers can send the zone as one line; its length tells the format."""
    for text in (TD3, TD3.replace("\n", "")):
        assert mrz.parse(text).document_number == "L898902C3"
    with pytest.raises(mrz.MrzError):
        mrz.parse(TD3.replace("\n", "")[:-1])


def test_td1_and_td2():
    td1 = (
        "I<UTOD231458907<<<<<<<<<<<<<<<\n"
        "7408122F1204159UTO<<<<<<<<<<<6\n"
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
    )
    assert mrz.parse(td1).document_number == "D23145890"
    td2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
    assert mrz.parse(td2).kind == "TD2"


def test_bac_keys_of_the_worked_example():
    info = mrz.key_info("L898902C", "690806", "940623")
    assert info == "L898902C<369080619406236"
    k_enc, k_mac = bac.bac_keys(info)
    assert k_enc == H("AB94FDECF2674FDFB9B391F85D7F76F2")
    assert k_mac == H("7962D9ECE03D1ACD4C76089DCE131543")


def worked_session() -> bac.Session:
    """The session of part 11's worked example, authenticated as it is there."""
    k_enc, k_mac = bac.bac_keys("L898902C<369080619406236")
    rnd_ic = H("4608F91988702212")
    challenge = bac.authenticate(
        k_enc, k_mac, rnd_ic, H("781723860C06C226"), H("0B795240CB7049B01C19B33E32804F0B")
    )
    assert challenge.command_data == H(
        "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7"
    )
    response = H("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449")
    s = bac.session(k_enc, k_mac, challenge, response, rnd_ic)
    assert s.ks_enc == H("979EC13B1CBFE9DCD01AB0FED307EAE5")
    assert s.ks_mac == H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    assert s.ssc == H("887022120C06C226")
    return s


def test_mutual_authentication_and_session_keys():
    assert worked_session().ssc == H("887022120C06C226")


def test_secure_messaging_of_the_worked_example():
    s = worked_session()
    assert bac.wrap(s, H("00A4020C"), H("011E")) == H(
        "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"
    )
    assert bac.unwrap(s, H("990290008E08FA855A5D4C50A8ED9000")) == (b"", H("9000"))
    assert bac.wrap(s, H("00B00000"), le=4) == H("0CB000000D9701048E08ED6705417E96BA5500")
    data, sw = bac.unwrap(s, H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
    assert (data, sw) == (H("60145F01"), H("9000"))


def test_a_forged_response_is_refused():
    s = worked_session()
    bac.wrap(s, H("00A4020C"), H("011E"))
    with pytest.raises(bac.SecureMessagingError, match="MAC"):
        bac.unwrap(s, H("990290008E08FA855A5D4C50A8EE9000"))
    k_enc, k_mac = bac.bac_keys("L898902C<369080619406236")
    challenge = bac.authenticate(
        k_enc,
        k_mac,
        H("4608F91988702212"),
        H("781723860C06C226"),
        H("0B795240CB7049B01C19B33E32804F0B"),
    )
    with pytest.raises(bac.SecureMessagingError):
        bac.session(k_enc, k_mac, challenge, bytes(40), H("4608F91988702212"))


@pytest.mark.parametrize(
    ("number", "birth", "expiry"),
    [
        ("L898902C", "6908", "940623"),
        ("", "690806", "940623"),
        ("L8989-02C", "690806", "940623"),
    ],
)
def test_malformed_keys(number, birth, expiry):
    with pytest.raises(mrz.MrzError):
        mrz.key_info(number, birth, expiry)


@given(st.binary(max_size=64))
def test_unwrap_never_crashes(data):
    s = bac.Session(
        H("979EC13B1CBFE9DCD01AB0FED307EAE5"),
        H("F1CB1F1FB5ADF208806B89DC579DC1F8"),
        H("887022120C06C226"),
    )
    try:
        bac.unwrap(s, data + b"\x90\x00")
    except bac.SecureMessagingError:
        pass


def test_ef_com_of_the_worked_example():
    from drivers.smartcard.lds import parse_com

    s = worked_session()
    bac.wrap(s, H("00A4020C"), H("011E"))
    bac.unwrap(s, H("990290008E08FA855A5D4C50A8ED9000"))
    bac.wrap(s, H("00B00000"), le=4)
    head, _ = bac.unwrap(s, H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
    assert bac.wrap(s, H("00B00004"), le=0x12) == H("0CB000040D9701128E082EA28A70F3C7B53500")
    rest, sw = bac.unwrap(
        s,
        H("871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"),
    )
    assert rest == H("04303130365F36063034303030305C026175") and sw == H("9000")
    com = parse_com(head + rest)
    assert (com.lds_version, com.unicode_version, com.data_groups) == ("0106", "040000", [1, 2])


def test_dg1_holds_the_mrz():
    from drivers.smartcard.lds import LdsError, parse_dg1

    text = TD3.replace("\n", "").encode()
    inner = b"\x5f\x1f" + bytes([len(text)]) + text
    dg1 = b"\x61" + bytes([len(inner)]) + inner
    assert parse_dg1(dg1).names == "ERIKSSON<<ANNA<MARIA"
    with pytest.raises(LdsError):
        parse_dg1(dg1[:-5])


@given(st.binary(max_size=80))
def test_tlv_parser_never_crashes(data):
    from drivers.smartcard.lds import LdsError, parse_com, tlv

    for parser in (tlv, parse_com):
        try:
            parser(data)
        except LdsError:
            pass
