from __future__ import annotations

import pytest

from kiosk.privacy import (
    PersonalKind,
    Redactor,
    mask_id_number,
    mask_name,
    mask_phone,
)
from tests import canary


def test_id_number_keeps_first_six_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_name_keeps_the_first_character():
    assert mask_name("钱多多") == "钱**"
    assert mask_name("Ada Lovelace") == "A** ********"


def test_phone_keeps_first_three_and_last_four():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("+86 139-1234-5678") == "139****5678"


def test_short_values_are_hidden_whole_rather_than_half_shown():
    assert mask_id_number("C1234567") == "********"
    assert mask_phone("12345") == "*****"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 11010519491231002X read", "card 110105********002X read"),
        ("old id 110105491231002 ok", "old id 110105*****1002 ok"),
        ("call 139-1234-5678 now", "call 139****5678 now"),
        ("tel:+8613912345678", "tel:139****5678"),
        ("pay 134567890123456789", "pay 134567********6789"),
        # not personal: short numbers, timestamps, hex frames
        ("order 20261123-0001 at 1732300000000", "order 20261123-0001 at 1732300000000"),
        (
            "frame 02A0B1C2D3E4F5061728394A5B6C7D8E9F03",
            "frame 02A0B1C2D3E4F5061728394A5B6C7D8E9F03",
        ),
    ],
)
def test_patterns_in_free_text(text, expected):
    assert Redactor().text(text) == expected


def test_remembered_name_is_masked_in_free_text_until_forgotten():
    redactor = Redactor()
    redactor.remember(canary.NAME, PersonalKind.NAME)
    assert redactor.text(f"holder {canary.NAME} confirmed") == "holder 钱** confirmed"
    redactor.forget_all()
    assert canary.NAME in redactor.text(f"holder {canary.NAME}")


def test_structured_values_are_masked_by_field_name():
    masked = Redactor().value(
        {
            "name": canary.NAME,
            "address": canary.ADDRESS,
            "photo": b"\xff\xd8" * 10,
            "nested": [{"phone": canary.PHONE}],
            "count": 3,
        },
    )
    assert masked == {
        "name": "钱**",
        "address": "北京市东城区***",
        "photo": "<biometric data, 20 bytes, withheld>",
        "nested": [{"phone": "139****5678"}],
        "count": 3,
    }
    assert canary.leaks(str(masked)) == []
