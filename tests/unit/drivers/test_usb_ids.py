"""The table of known USB devices and the udev rules made from it."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from drivers.config import DeviceName
from drivers.usb_ids import load_table, rules_text

RULES = Path(__file__).resolve().parents[3] / "packaging" / "udev" / "70-kiosk-devices.rules"

# udev's keys as the rules use them (udev(7)); a typo ("ATTR{idvendor}", "SYMLNK")
# would make udev skip the rule with only a line in the journal.
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "KERNEL", "KERNELS", "SUBSYSTEMS", "DRIVERS"}
MATCH_PREFIXED = {"ATTR", "ATTRS", "ENV"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "GOTO", "LABEL"}
PAIR = re.compile(r'([A-Z]+)(\{[A-Za-z_]+\})?(==|!=|\+=|:=|=)"([^"]*)"')


def parse(line: str) -> list[tuple[str, str, str]]:
    """A rule as (key, operator, value); AssertionError when any of it is not udev's."""
    pairs, at = [], 0
    while at < len(line):
        found = PAIR.match(line, at)
        assert found, f'not a KEY op "value" pair at {line[at:]!r}'
        key, attr, op, value = found.groups()
        name = key + (attr or "")
        if attr:
            assert key in MATCH_PREFIXED and op in ("==", "!="), name
        elif op in ("==", "!="):
            assert key in MATCH_KEYS, name
        else:
            assert key in ASSIGN_KEYS, name
        pairs.append((name, op, value))
        at = found.end()
        if at < len(line):
            assert line[at : at + 2] == ", ", f"no ', ' after {name} in {line!r}"
            at += 2
    return pairs


def rules() -> list[list[tuple[str, str, str]]]:
    lines = RULES.read_text(encoding="utf-8").splitlines()
    return [parse(line) for line in lines if line.strip() and not line.startswith("#")]


def test_the_rules_file_is_made_from_the_table():
    assert RULES.read_text(encoding="utf-8") == rules_text(), (
        "packaging/udev/70-kiosk-devices.rules differs from drivers/usb_ids.toml: "
        "python -m drivers.usb_ids > packaging/udev/70-kiosk-devices.rules"
    )


def test_the_table_names_real_devices_and_ids():
    table = load_table()
    names = set(typing.get_args(DeviceName))
    ids = [(m.vendor, m.product) for m in table.models] + [
        (b.vendor, b.product) for b in table.bridges
    ]
    assert len(ids) == len(set(ids)), "an id is listed twice"
    for vendor, product in ids:
        assert re.fullmatch(r"[0-9a-f]{4}", vendor) and re.fullmatch(r"[0-9a-f]{4}", product)
    assert {m.device for m in table.models} <= names
    # a bridge's id says nothing of the device: it must never name one on its own
    bridges = {(b.vendor, b.product) for b in table.bridges}
    assert not bridges & {(m.vendor, m.product) for m in table.models}


def test_every_line_is_udev_syntax_and_every_rule_names_a_device_for_the_kiosk_group():
    parsed = rules()
    labels = [value for rule in parsed for key, _, value in rule if key == "LABEL"]
    gotos = [value for rule in parsed for key, _, value in rule if key == "GOTO"]
    assert gotos == ["kiosk_devices_end"] and labels == gotos
    named = [dict((k, v) for k, _, v in rule) for rule in parsed if len(rule) > 2]
    assert len(named) == len(load_table().models)
    for rule in named:
        device = rule["SYMLINK"].removeprefix("kiosk/")
        assert device in typing.get_args(DeviceName), rule
        assert (rule["GROUP"], rule["MODE"]) == ("kiosk", "0660"), rule
        assert rule["ATTRS{idVendor}"] and rule["ATTRS{idProduct}"] and rule["SUBSYSTEM"]


def test_the_parser_refuses_what_udev_would_skip():
    for bad in (
        'SUBSYSTEM=="tty" SYMLINK+="kiosk/x"',  # no comma
        'SUBSYSTEM=="tty", SYMLNK+="kiosk/x"',  # a key udev has not
        'ATTRS{idVendor}="04b8"',  # an attribute assigned, not matched
        "SUBSYSTEM==tty",  # no quotes
    ):
        with pytest.raises(AssertionError):
            parse(bad)
