from __future__ import annotations

import pytest

from kiosk.citypack import load_pack
from kiosk.errors import ConfigError
from kiosk.strings import catalogue


def test_the_default_pack_is_complete():
    pack = load_pack()
    assert set(pack.documents) == {"criminal_record", "household", "residence"}
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
