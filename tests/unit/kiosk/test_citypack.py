from __future__ import annotations

from datetime import time

import pytest

from kiosk.citypack import load_pack, parse_hours, parse_pack
from kiosk.errors import ConfigError
from kiosk.strings import catalogue
from wire.proof import DOCUMENT_TYPES


def test_the_default_pack_is_complete():
    pack = load_pack()
    assert set(pack.documents) == set(DOCUMENT_TYPES.values())
    ids = catalogue().ids()
    for rules in pack.documents.values():
        assert rules.title in ids and rules.body in ids


def test_a_bad_pack_is_one_line(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "pack.toml").write_text(
        'version = 1\ncity = "x"\nissuer = ""\nhelp_phone = "1"\nhelp_counter = "c"\n[documents]\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_pack("x", tmp_path)
    assert str(caught.value).startswith(f"{tmp_path}/x/pack.toml: issuer: ")
    with pytest.raises(ConfigError, match="cannot read"):
        load_pack("missing", tmp_path)


PACK = 'version = 1\ncity = "x"\nissuer = "i"\nhelp_phone = "1"\nhelp_counter = "c"\n[documents]\n'


def test_night_hours_may_span_midnight():
    night = parse_hours("23:00-06:00")
    assert night.contains(time(23, 0)) and night.contains(time(0, 0))
    assert night.contains(time(5, 59)) and not night.contains(time(6, 0))
    assert not night.contains(time(12, 0)) and not night.contains(time(22, 59))
    day = parse_hours("1:30 - 4:00")
    assert day.contains(time(1, 30)) and day.contains(time(3, 59))
    assert not day.contains(time(4, 0)) and not day.contains(time(23, 0))


@pytest.mark.parametrize(
    "bad", ["", "23:00", "23-06", "24:00-06:00", "23:60-06:00", "23:00-23:00", "11pm-6am", "a-b"]
)
def test_bad_night_hours_are_refused(bad):
    with pytest.raises(ValueError):
        parse_hours(bad)


def test_a_pack_sleeps_only_if_it_says_so():
    assert load_pack().screen.night() is None  # the default pack's booth stays lit
    pack = parse_pack(PACK + '[screen]\nsleep = "23:00-06:00"\nsleep_after_s = 60\n', "p")
    assert pack.screen.night() == parse_hours("23:00-06:00")
    assert pack.screen.sleep_after_s == 60


def test_bad_night_hours_in_a_pack_are_one_line():
    with pytest.raises(ConfigError) as caught:
        parse_pack(PACK + '[screen]\nsleep = "23:00-25:00"\n', "the backend's city pack")
    assert str(caught.value) == (
        'the backend\'s city pack: screen.sleep = "23:00-25:00" is not night hours: '
        'write them as "23:00-06:00" (24-hour clock, may span midnight)'
    )
    with pytest.raises(ConfigError, match=r"screen\.sleep_after_s: "):
        parse_pack(PACK + "[screen]\nsleep_after_s = 0\n", "p")
    with pytest.raises(ConfigError, match=r"screen\.dim: "):
        parse_pack(PACK + "[screen]\ndim = 1\n", "p")


def test_the_card_back_layout_must_fit_its_strip():
    layout = load_pack().card_back
    assert (layout.dots_per_mm, layout.font_dots, layout.line_dots) == (8.0, 25, 38)
    assert load_pack("xinjiang").card_back.office  # its own issuing office on the strip
    with pytest.raises(ConfigError) as caught:
        parse_pack(PACK + "[card_back]\nfont_pt = 20\n", "p")
    assert str(caught.value).startswith("p: card_back: ")
    # 20 pt = 56 dots at 8 dots/mm; margins 2 x 12, three gaps of 84, the last line 56
    assert "4 lines of 20.0 pt need 332 dots; the strip has 192" in str(caught.value)
    with pytest.raises(ConfigError, match="not a printer's"):
        parse_pack(PACK + "[card_back]\narea_dots = [576, 300]\n", "p")
    with pytest.raises(ConfigError, match=r"card_back\.lines"):
        parse_pack(PACK + '[card_back]\nlines = ["kind", "name"]\n', "p")  # never a name
