from __future__ import annotations

import pytest

from flows.forms import check_form, valid_id_number
from flows.rules import RuleError, parse_rule
from flows.step_types import FormParams
from tests import canary

DATA = {
    "reason": "lost",
    "age": 70,
    "contact": {"phone": "139", "by_post": True},
    "tags": ["a", "b"],
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('reason == "lost"', True),
        ('reason in ["damaged", "lost"] and not contact.by_post', False),
        ("age >= 16 and age < 80", True),
        ("16 <= age <= 60", False),
        ('contact["phone"] == "139"', True),
        ("tags[0] == 'a' and tags[5] == none", True),
        ("missing == none", True),
        ("missing.deeper == none", True),
        ("missing >= 16", False),  # cannot compare: false, not an error
        ("-age < 0 or false", True),
        ("reason not in ('renewal',)", True),
        ("true", True),
    ],
)
def test_rules(source, expected):
    assert parse_rule(source).holds(DATA) is expected


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("reason ==", "cannot read rule"),
        ("open('/etc/passwd')", "Call is not allowed"),
        ("reason.__class__", None),  # attribute access reads data only: no Python objects
        ("[x for x in tags]", "ListComp is not allowed"),
        ("age + 1 > 2", "BinOp is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
    ],
)
def test_rules_allow_no_code(source, problem):
    if problem is None:
        assert parse_rule(source).holds(DATA) is False
        return
    with pytest.raises(RuleError, match=problem):
        parse_rule(source)


def test_rule_names_are_the_steps_it_reads():
    assert parse_rule("a.b == 1 and c in [d, 'x'] or none").names == {"a", "c", "d"}


def test_id_numbers():
    assert valid_id_number(canary.ID_NUMBER)
    assert not valid_id_number("110105194912310021")  # wrong check character
    assert not valid_id_number("11010519491331002X")  # no 13th month
    assert not valid_id_number("1101051949123100")


FORM = FormParams.model_validate(
    {
        "fields": [
            {"id": "name", "kind": "text", "label": "x", "min_length": 2, "max_length": 4},
            {"id": "code", "kind": "digits", "label": "x", "required": False},
            {"id": "born", "kind": "date", "label": "x", "required": False},
            {"id": "idn", "kind": "id_number", "label": "x", "required": False},
            {"id": "ok", "kind": "checkbox", "label": "x", "required": False},
        ]
    }
)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"name": "钱多多"}, {}),
        ({"name": " "}, {"name": "flow.error.required"}),
        ({"name": "钱"}, {"name": "flow.error.too_short"}),
        ({"name": "钱多多多多"}, {"name": "flow.error.too_long"}),
        ({"name": ["x"]}, {"name": "flow.error.text"}),
        ({"name": "钱多", "code": "12a"}, {"code": "flow.error.digits"}),
        ({"name": "钱多", "code": "１２"}, {"code": "flow.error.digits"}),  # full-width digits
        ({"name": "钱多", "code": 42}, {}),
        ({"name": "钱多", "born": "1949-12-31"}, {}),
        ({"name": "钱多", "born": "1949-2-3"}, {"born": "flow.error.date"}),
        ({"name": "钱多", "born": "1949-02-30"}, {"born": "flow.error.date"}),
        ({"name": "钱多", "idn": "11010519491231002x"}, {}),
        ({"name": "钱多", "idn": "123"}, {"idn": "flow.error.id_number.length"}),
        (
            {"name": "钱多", "idn": "１１０１０５１９４９１２３１００２ｘ"},
            {},
        ),  # full-width, as typed
        ({"name": "钱多", "ok": "yes"}, {"ok": "flow.error.checkbox"}),
    ],
)
def test_form_checks(values, errors):
    clean, found = check_form(FORM, values)
    assert found == errors
    if not errors:
        assert set(clean) == {k for k, v in values.items() if v is not None}


def test_form_values_must_be_a_mapping_and_id_numbers_are_upper_case():
    assert check_form(FORM, "钱多多") == ({}, {"": "flow.error.form_values"})
    clean, _ = check_form(FORM, {"name": " 钱多 ", "idn": "11010519491231002x", "code": 7})
    assert clean == {"name": "钱多", "idn": "11010519491231002X", "code": "7"}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("110101 景山前街4号", True),  # 东城区, then the street
        ("130102 中山路1号", True),
        ("北京市东城区景山前街4号", False),  # typed, not picked: no code
        ("999999 某路1号", False),  # no such district
        ("110101 ", False),  # no street
    ],
)
def test_an_address_is_a_known_division_code_and_a_street(value, ok):
    form = FormParams.model_validate(
        {"fields": [{"id": "home", "kind": "address", "label": "flow.common.field.address"}]}
    )
    _, errors = check_form(form, {"home": value})
    assert (errors == {}) is ok, errors
