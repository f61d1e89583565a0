"""Resident ID numbers (GB 11643) against python-stdnum's `stdnum.cn.ric`, written
elsewhere: thousands of generated numbers, right and wrong, judged the same, with
one known and wanted difference (a district that did not exist in the birth year:
stdnum refuses it, a number keeps the code it was given at registration, which for
the elderly came years after their birth). Each kind of mistake has its message."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent, ValidationError

from flows.forms import id_number_problem, normalise_id_number, valid_id_number

CASES = 3000


def _all_county_codes() -> list[str]:
    """Every county-level code stdnum's table knows, with its years, e.g. [-2010]."""
    db = numdb.get("cn/loc")
    codes = []
    for province in range(11, 83):
        for rest in range(10000):
            code = f"{province}{rest:04d}"
            levels = db.info(code)
            if len(levels) == 2 and "county" in levels[1][1]:
                codes.append(code)
    return codes


CODES = _all_county_codes()


def with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def a_number(rng: random.Random, code: str | None = None) -> str:
    born = date(1900, 1, 1) + timedelta(days=rng.randint(0, 45_000))
    return with_check(f"{code or rng.choice(CODES)}{born:%Y%m%d}{rng.randint(0, 999):03d}")


def test_the_table_holds_every_edition() -> None:
    assert len(CODES) > 4000
    assert {"110103", "110104"} <= set(CODES)  # 崇文, 宣武: abolished in 2010


def test_numbers_judged_as_stdnum_judges_them() -> None:
    rng = random.Random(11)
    disagree = born_before_their_district = 0
    for case in range(CASES):
        number = a_number(rng)
        if case % 3 == 1:  # a digit mistyped
            i = rng.randrange(17)
            number = number[:i] + str((int(number[i]) + rng.randint(1, 9)) % 10) + number[i + 1 :]
        elif case % 3 == 2:  # a region no edition had
            number = with_check(f"{rng.randint(10, 99)}{rng.randint(0, 9999):04d}" + number[6:17])
        ours = valid_id_number(number)
        try:
            ric.validate(number)
            theirs = True
        except InvalidComponent:
            theirs = False
            # stdnum also wants the district to have existed at the birth year
            if ours and id_number_problem(number) is None and number[:6] in CODES:
                born_before_their_district += 1
                continue
        except (ValidationError, KeyError):  # KeyError: stdnum 2.2 on a province-only match
            theirs = False
        disagree += ours != theirs
    print(f"{CASES} numbers: {disagree} judged otherwise than stdnum; "
          f"{born_before_their_district} from a district not there in the birth year")  # fmt: skip
    assert disagree == 0


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("11010519491231002X", None),
        ("11010519491231002x", None),  # a lowercase x, as citizens type it
        ("１１０１０５１９４９１２３１００２Ｘ", None),  # full-width, from an input method
        ("110103 19800101 0016", None),  # 崇文区: abolished in 2010, its people keep it
        ("1101051949123100", "length"),
        ("11010519491231002Y", "characters"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "characters"),  # Arabic-Indic digits are no ID number
        ("99010519491231002X", "region"),
        ("110105194913310021", "date"),
        ("110105205001010015", "date"),  # born in the future
        ("110105194912310021", "check"),
    ],
)
def test_each_mistake_has_its_message(typed: str, problem: str | None) -> None:
    number = normalise_id_number(typed)
    if problem is None and number[:6] == "110103":
        number = with_check(number[:17])
    assert id_number_problem(number) == problem
