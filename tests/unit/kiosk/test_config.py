from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import config
from kiosk.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        config.load(path, env=env or {})
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_development_config_is_valid_and_resolves_paths_from_its_folder():
    loaded = config.load(REPO / "config" / "kiosk.dev.toml", env={})
    assert loaded.config.cache.database == REPO / "var" / "kiosk.db"
    assert loaded.config.logging.dir == REPO / "var" / "log"


def test_defaults_when_there_is_no_file(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "TERMINAL_CONFIG", tmp_path / "none.toml")
    monkeypatch.setattr(config, "DEV_CONFIG", tmp_path / "none-either.toml")
    loaded = config.load(None, env={})
    assert loaded.source is None
    assert loaded.config.screen.language == "zh_CN"


def test_kiosk_config_variable_names_the_file(tmp_path):
    path = write(tmp_path, '[terminal]\nid = "booth-17"\n')
    assert config.load(None, env={"KIOSK_CONFIG": str(path)}).config.terminal.id == "booth-17"


def test_wrong_value_names_file_key_value_and_what_is_allowed(tmp_path):
    path = write(tmp_path, '[logging]\nlevel = "LOUD"\n')
    assert error_of(path) == (
        f"{path}: logging.level = 'LOUD': allowed: 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"
    )


def test_unknown_key_lists_the_keys_allowed_there(tmp_path):
    path = write(tmp_path, '[devices.id_card]\ndriver = "x"\nprot = "/dev/ttyS0"\n')
    assert error_of(path) == (
        f"{path}: devices.id_card.prot = '/dev/ttyS0': unknown key; allowed here: "
        "driver, enabled, fault_seed, faults, options, port, timeout_ms, uri"
    )


def test_unknown_device_name(tmp_path):
    path = write(tmp_path, '[devices.printer]\ndriver = "x"\n')
    message = error_of(path)
    assert message.startswith(f"{path}: devices.printer: unknown device; allowed: 'id_card'")


def test_nested_fault_and_count_of_other_errors(tmp_path):
    path = write(
        tmp_path,
        '[devices.scanner]\ndriver = "x"\n'
        '[[devices.scanner.faults]]\nkind = "gremlins"\nprobability = 3\n',
    )
    message = error_of(path)
    assert message.startswith(f"{path}: devices.scanner.faults.0.kind = 'gremlins': allowed:")
    assert message.endswith(" (and 1 more)")


def test_pattern_error_says_what_the_field_is(tmp_path):
    path = write(tmp_path, '[terminal]\nid = "Booth 17"\n')
    assert "terminal.id = 'Booth 17': must match" in error_of(path)
    assert "lower-case letters" in error_of(path)


def test_sensitive_channel_needs_a_log_folder(tmp_path):
    path = write(tmp_path, '[logging]\nsensitive = "redacted"\n')
    assert "set logging.dir too" in error_of(path)


def test_broken_toml_names_the_line(tmp_path):
    path = write(tmp_path, '[terminal]\nid = "a\n')
    message = error_of(path)
    assert message.startswith(f"{path}: not valid TOML:") and "line 2" in message


def test_missing_and_non_utf8_files(tmp_path):
    assert "cannot read the configuration: No such file" in error_of(tmp_path / "absent.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('[terminal]\nname = "caf\xe9"\n'.encode("latin-1"))
    assert error_of(bad) == f"{bad}: the configuration is not UTF-8 text"


def test_environment_overrides_the_file_and_is_named_when_wrong(tmp_path):
    path = write(tmp_path, "[screen]\nvnc_port = 5901\n")
    loaded = config.load(
        path,
        env={
            "KIOSK__SCREEN__VNC_PORT": "5999",
            "KIOSK__DEVICES__ID_CARD__DRIVER": "serial_id_reader",
            "KIOSK__DEVICES__ID_CARD__OPTIONS": "{ baud = 115200 }",
        },
    )
    assert loaded.config.screen.vnc_port == 5999
    assert loaded.config.devices["id_card"].options == {"baud": 115200}
    assert loaded.overrides == [
        "devices.id_card.driver",
        "devices.id_card.options",
        "screen.vnc_port",
    ]
    message = error_of(path, {"KIOSK__SCREEN__VNC_PORT": "80"})
    assert message == (
        "environment KIOSK__SCREEN__VNC_PORT: screen.vnc_port = '80': "
        "Input should be greater than or equal to 1024"
    )


def test_environment_key_shapes_are_checked(tmp_path):
    path = write(tmp_path, "[screen]\nvnc_port = 5901\n")
    assert "empty key part" in error_of(path, {"KIOSK__SCREEN____X": "1"})
    assert "is a value, not a section" in error_of(path, {"KIOSK__SCREEN__VNC_PORT__X": "1"})


def test_the_error_is_translated(tmp_path):
    path = write(tmp_path, '[logging]\nlevel = "LOUD"\n')
    with pytest.raises(ConfigError) as caught:
        config.load(path, env={})
    assert caught.value.render("zh_CN").startswith(f"{path}：logging.level = 'LOUD'：允许的取值：")


def test_slots_default_to_a_cabinet_and_take_the_terminals_own(tmp_path):
    assert config.load(write(tmp_path, ""), env={}).config.slots.id_card == "below-right"
    path = write(tmp_path, '[slots]\nid_card = "left"\nreceipt_printer = "below"\n')
    slots = config.load(path, env={}).config.slots
    assert (slots.id_card, slots.receipt_printer, slots.camera) == ("left", "below", "above")


def test_a_bad_slot_position_is_one_line_naming_what_is_allowed(tmp_path):
    path = write(tmp_path, '[slots]\nid_card = "under the desk"\n')
    assert error_of(path) == (
        f"{path}: slots.id_card = 'under the desk': allowed: 'above', 'left', 'right', "
        "'below-left', 'below' or 'below-right'"
    )


def test_a_slot_for_no_device_is_refused(tmp_path):
    message = error_of(write(tmp_path, '[slots]\nprinter = "below"\n'))
    assert message.startswith(f"{path_of(tmp_path)}: slots.printer = 'below': unknown key")


def path_of(tmp_path: Path) -> Path:
    return tmp_path / "kiosk.toml"
