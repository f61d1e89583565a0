"""drivers/smartcard/mrz.py against the `mrz` library (written elsewhere, GPL, a test
dependency only): hundreds of TD1, TD2 and TD3 zones made by its generators read
field for field as it reads them; the passports that print `<` as the empty
personal number's check digit; TD1's long document numbers (check digits by the
library's own function); and zones with OCR-style misreads, where a reading is
either right or refused, never wrong."""

from __future__ import annotations

import random
import string

import pytest
from mrz.base.functions import hash_string
from mrz.checker.td1 import TD1CodeChecker
from mrz.checker.td2 import TD2CodeChecker
from mrz.checker.td3 import TD3CodeChecker
from mrz.generator.td1 import TD1CodeGenerator
from mrz.generator.td2 import TD2CodeGenerator
from mrz.generator.td3 import TD3CodeGenerator

from drivers.smartcard import mrz

CASES = 400
COUNTRIES = ("UTO", "CHN", "HKG", "MAC", "TWN", "D", "GBR", "FRA", "USA", "JPN", "KOR")
CHECKERS = {"TD1": TD1CodeChecker, "TD2": TD2CodeChecker, "TD3": TD3CodeChecker}


def _word(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choices(string.ascii_uppercase, k=rng.randint(low, high)))


def _date(rng: random.Random, years: tuple[int, int] = (40, 99)) -> str:
    year = rng.randint(*years) % 100
    return f"{year:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"


def _number(rng: random.Random, length: int = 9) -> str:
    size = rng.randint(6, length)
    return "".join(rng.choices(string.ascii_uppercase + string.digits, k=size))


def generated(rng: random.Random, kind: str) -> tuple[str, dict[str, str]]:
    """A zone made by the library, and the fields it was made from."""
    fields = {
        "number": _number(rng), "birth": _date(rng), "expiry": _date(rng, (27, 36)),
        "sex": rng.choice("MFX"), "nationality": rng.choice(COUNTRIES),
        "surname": _word(rng, 2, 9), "given": _word(rng, 2, 8),
    }  # fmt: skip
    issuer = rng.choice(COUNTRIES)
    sex = "<" if fields["sex"] == "X" else fields["sex"]
    # in the zone, codes are three characters (Germany's "D" is "D<<")
    fields["sex"] = sex
    if kind == "TD1":
        code = TD1CodeGenerator("I", issuer, fields["number"], fields["birth"], sex,
                                fields["expiry"], fields["nationality"], fields["surname"],
                                fields["given"], rng.choice(["", _number(rng)]))  # fmt: skip
    elif kind == "TD2":
        code = TD2CodeGenerator("I", issuer, fields["surname"], fields["given"],
                                fields["number"], fields["nationality"], fields["birth"], sex,
                                fields["expiry"])  # fmt: skip
    else:
        code = TD3CodeGenerator("P", issuer, fields["surname"], fields["given"],
                                fields["number"], fields["nationality"], fields["birth"], sex,
                                fields["expiry"], rng.choice(["", _number(rng, 14)]))  # fmt: skip
    fields["issuer"] = issuer.ljust(3, "<")
    fields["nationality"] = fields["nationality"].ljust(3, "<")
    return str(code), fields


def agrees(parsed: mrz.Mrz, fields: dict[str, str], kind: str) -> None:
    assert parsed.kind == kind
    assert parsed.document_number == fields["number"]
    assert (parsed.birth_date, parsed.expiry_date) == (fields["birth"], fields["expiry"])
    assert (parsed.sex, parsed.nationality, parsed.issuer) == (
        fields["sex"], fields["nationality"], fields["issuer"])  # fmt: skip
    assert parsed.names.startswith(f"{fields['surname']}<<{fields['given']}")


@pytest.mark.parametrize("kind", ["TD1", "TD2", "TD3"])
def test_zones_the_library_makes_read_as_it_reads_them(kind: str) -> None:
    rng = random.Random(kind)
    for _ in range(CASES):
        text, fields = generated(rng, kind)
        assert CHECKERS[kind](text)  # the library's own checker holds it valid
        parsed = mrz.parse(text)
        agrees(parsed, fields, kind)
        assert not parsed.corrected
        assert mrz.parse(text.replace("\n", "")) == parsed  # an OCR's one joined line


def test_an_empty_personal_number_may_carry_a_filler_check_digit() -> None:
    """ICAO 9303-4 4.2.2.2: many passports print `<`, not `0`; the library agrees."""
    rng = random.Random(3)
    for _ in range(CASES // 4):
        text, fields = generated(rng, "TD3")
        top, bottom = text.splitlines()
        if bottom[28:42] != "<" * 14:
            continue
        filler = f"{top}\n{bottom[:42]}<{bottom[43]}"
        assert TD3CodeChecker(filler)
        agrees(mrz.parse(filler), fields, "TD3")
    refused = f"{top}\n{bottom[:28]}AB<<<<<<<<<<<<<{bottom[43]}"  # not empty: `<` is wrong
    with pytest.raises(mrz.MrzError, match="personal number"):
        mrz.parse(refused)


def long_td1(rng: random.Random) -> tuple[str, str]:
    """A TD1 whose document number has 10-22 characters (ICAO 9303-5 note j), every
    check digit by the library's function."""
    number = "".join(rng.choices(string.ascii_uppercase + string.digits, k=rng.randint(10, 14)))
    optional = (number[9:] + hash_string(number)).ljust(15, "<")
    top = f"I<UTO{number[:9]}<{optional}"
    birth, expiry = _date(rng), _date(rng)
    middle = f"{birth}{hash_string(birth)}F{expiry}{hash_string(expiry)}UTO" + "<" * 11
    middle += hash_string(top[5:30] + middle[0:7] + middle[8:15] + middle[18:29])
    return f"{top}\n{middle}\n{'SMITH<<JOHN'.ljust(30, '<')}", number


def test_long_td1_document_numbers() -> None:
    specimen = ("I<UTOD23145890<7349<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\n"
                "STEVENSON<<PETER<JOHN<<<<<<<<<")  # fmt: skip
    assert mrz.parse(specimen).document_number == "D23145890734"
    rng = random.Random(5)
    for _ in range(CASES):
        text, number = long_td1(rng)
        parsed = mrz.parse(text)
        assert parsed.document_number == number
        # BAC takes the whole number with its check digit (ICAO 9303-11, 9.7.2)
        assert parsed.key_info.startswith(number + hash_string(number))


CONFUSIONS = {"0": "O", "1": "I", "8": "B", "5": "S", "2": "Z", "6": "G", "O": "0", "I": "1",
              "B": "8", "S": "5", "Z": "2", "G": "6"}  # fmt: skip


def test_ocr_misreads_are_read_right_or_refused_never_wrong() -> None:
    """One or two characters swapped for their look-alikes (what an OCR does), or for
    any character (what a smudge does). The fields under check digits (the document
    number and the dates, BAC's key) come back right or the zone is refused with a
    line that says to rescan; never wrong. A smudge in a field no check digit covers
    (the names, the codes, the sex) cannot be seen by any reader: the library's
    checker passes those too. The rates are printed."""
    rng = random.Random(7)
    outcomes = {"right": 0, "refused": 0, "wrong": 0, "number misread, check digit blind": 0,
                "unchecked field changed": 0}  # fmt: skip
    fixed_look_alikes = look_alikes = 0
    for case in range(CASES * 3):
        kind = ("TD1", "TD2", "TD3")[case % 3]
        text, fields = generated(rng, kind)
        chars = list(text)
        places = [i for i, c in enumerate(chars) if c in CONFUSIONS]
        smudge = case % 4 == 3
        for i in rng.sample(places, min(len(places), rng.choice([1, 2]))):
            other = rng.choice(string.ascii_uppercase + string.digits)
            chars[i] = other if smudge else CONFUSIONS[chars[i]]
        misread = "".join(chars)
        if misread == text:
            continue
        look_alikes += not smudge
        try:
            parsed = mrz.parse(misread)
        except mrz.MrzError as exc:
            assert "rescan" in str(exc)
            outcomes["refused"] += 1
            continue
        key = (parsed.document_number, parsed.birth_date, parsed.expiry_date)
        truth = (fields["number"], fields["birth"], fields["expiry"])
        if key != truth:
            # The document number is read as printed, never guessed at: a misread
            # its check digit cannot see (G for 6, two look-alikes that cancel)
            # is the OCR's, and any reader's, the library's checker too. A date
            # read wrong would be ours (its look-alikes are read back by type).
            ours = key[1:] != truth[1:] or key[0] not in misread
            outcomes["wrong" if ours else "number misread, check digit blind"] += 1
            continue
        try:
            agrees(parsed, fields, kind)
        except AssertionError:
            outcomes["unchecked field changed"] += 1
            assert smudge  # a look-alike in a field of letters is read back
            continue
        outcomes["right"] += 1
        fixed_look_alikes += not smudge
    print(f"misread zones: {outcomes}; look-alikes read right {fixed_look_alikes}/{look_alikes}")
    assert outcomes["wrong"] == 0
    assert fixed_look_alikes / look_alikes > 0.5  # most OCR confusions are recovered


def test_an_unknown_birth_day_and_month_are_fillers() -> None:
    """ICAO 9303-3: a date whose day or month is not known is written with `<`."""
    birth = "8501<<"
    top = "P<UTOSMITH<<JOHN".ljust(44, "<")
    bottom = f"L898902C3{hash_string('L898902C3')}UTO{birth}{hash_string(birth)}M300101"
    bottom += hash_string("300101") + "<" * 14 + "0"
    bottom += hash_string(bottom[0:10] + bottom[13:20] + bottom[21:43])
    parsed = mrz.parse(f"{top}\n{bottom}")
    assert parsed.birth_date == birth and TD3CodeChecker(f"{top}\n{bottom}").report is not None


def test_long_td2_document_numbers() -> None:
    """ICAO 9303-6: as TD1, a number of more than nine characters goes on in the
    optional data, its check digit after it, `<` where the check digit would be."""
    rng = random.Random(9)
    for _ in range(CASES // 4):
        number = "".join(rng.choices(string.ascii_uppercase + string.digits, k=rng.randint(10, 14)))
        birth, expiry = _date(rng), _date(rng, (27, 36))
        optional = (number[9:] + hash_string(number)).ljust(7, "<")
        bottom = (f"{number[:9]}<UTO{birth}{hash_string(birth)}F{expiry}{hash_string(expiry)}"
                  f"{optional}")  # fmt: skip
        bottom += hash_string(bottom[0:10] + bottom[13:20] + bottom[21:35])
        parsed = mrz.parse("I<UTOSMITH<<JOHN".ljust(36, "<") + "\n" + bottom)
        assert (parsed.kind, parsed.document_number) == ("TD2", number)
