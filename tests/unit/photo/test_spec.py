"""The spec table: names, files that extend and omit, and one-line errors."""

from __future__ import annotations

import pytest

from kiosk.photo import spec


def test_the_documents_of_the_table():
    assert set(spec.names()) == {"icao", "id_card", "exit_entry"}
    id_card = spec.load("id_card")
    assert (id_card.width_px, id_card.height_px, id_card.dpi, id_card.file_kb) == (
        358,
        441,
        350,
        (14, 20),
    )
    assert id_card.face_width_px == (193, 221) and id_card.background == (255, 255, 255)
    assert id_card.rules.keys() == spec.load("icao").rules.keys()  # the rules extended
    exit_entry = spec.load("exit_entry")
    low, high = exit_entry.head_height_window() or (0, 0)
    assert round(low) == 331 and round(high) == 390  # 28-33 mm at 300 dpi
    for rules in (id_card.rules, exit_entry.rules):
        assert all(rule.why for rule in rules.values())  # every threshold says why


def test_a_city_file_changes_numbers_and_omits_rules(tmp_path):
    city = tmp_path / "city.toml"
    city.write_text(
        'extends = "id_card"\nomit = ["ears_hidden"]\nfile_kb = [15, 25]\n'
        '[rules.yaw]\nmax_deg = 4.0\nwhy = "ours"\n'
    )
    loaded = spec.load(str(city))
    assert loaded.name == "city" and loaded.file_kb == (15, 25) and loaded.width_px == 358
    assert not loaded.has("ears_hidden") and loaded.rule("yaw").number("max_deg") == 4.0
    assert loaded.has("mouth_open")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('extends = "passport_of_mars"\n', "not a spec"),
        ('extends = "id_card"\nomit = ["wings"]\n', "not a rule"),
        ('extends = "id_card"\ndpi = 7\n', "dpi"),
        ('extends = "id_card"\nsizing = "vibes"\n', "sizing"),
        ("extends = \n", "city.toml"),
    ],
)
def test_bad_spec_files_say_what_and_where(tmp_path, text, says):
    city = tmp_path / "city.toml"
    city.write_text(text)
    with pytest.raises(spec.SpecError) as refused:
        spec.load(str(city))
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(spec.SpecError, match="id_card, exit_entry"):
        spec.load("passport_of_mars")
