"""Every schema error names the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.loader import FLOWS_DIR, FlowFileError, load_flow

TEST_FLOW = Path(__file__).resolve().parents[2] / "flows" / "test_renewal.yaml"

MINIMAL = """\
flow: {name}
version: 1
title: flow.common.welcome
start: hello
steps:
  hello:
    type: info
    text: flow.common.welcome
    message: flow.common.welcome
    next: bye
  bye:
    type: done
    text: flow.common.done
    message: flow.common.done
"""


def write(tmp_path: Path, text: str, name: str = "probe") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace("{name}", name), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(FlowFileError) as caught:
        load_flow(path)
    return [str(p) for p in caught.value.problems]


def test_the_test_flow_and_a_minimal_flow_load():
    flow = load_flow(TEST_FLOW)
    assert flow.flow == "test_renewal" and len(flow.steps) == 13
    assert flow.devices() == ["scanner|camera", "card_payment", "receipt_printer", "id_card"]


def test_minimal(tmp_path):
    assert list(load_flow(write(tmp_path, MINIMAL)).steps) == ["hello", "bye"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("type: info", "type: blink"), ":7: unknown step type 'blink' (known: choose, form,"),
        (("next: bye", "next: nowhere"), ":10: next goes to 'nowhere', which is not a step"),
        (
            ("text: flow.common.done", "text: flow.no.such.text"),
            ":13: message id 'flow.no.such.text' is not in the catalogue",
        ),
        (("    message: flow.common.welcome\n", ""), ":6: 'message' is required here"),
        (("    next: bye\n", "    next: bye\n    colour: red\n"), ":11: unknown key 'colour'"),
        (("start: hello", "start: bye"), ":6: step 'hello' cannot be reached from 'bye'"),
        (("version: 1", "version: one"), ":2: version: Input should be a valid integer"),
        (("  bye:\n", "  hello:\n"), ":11: 'hello' appears twice (first on line 6)"),
        (("    next: bye\n", "    next: [bye\n"), ": not valid YAML"),
    ],
)
def test_each_error_names_file_and_line(tmp_path, change, expected):
    path = write(tmp_path, MINIMAL.replace(*change))
    found = problems(path)
    assert any(p.startswith(str(path)) and expected in p for p in found), found


def test_yaml_yes_no_on_off_stay_text(tmp_path):
    text = MINIMAL.replace("next: bye", "next: 'no'").replace("  bye:", "  no:")
    assert load_flow(write(tmp_path, text)).steps["hello"].next == "no"
    # unquoted too: `no` is an option or step id, never False
    text = MINIMAL.replace("next: bye", "next: no").replace("  bye:", "  no:")
    flow = load_flow(write(tmp_path, text, "probe2"))
    assert flow.steps["hello"].next == "no" and "no" in flow.steps


def test_file_name_must_match_the_flow(tmp_path):
    path = write(tmp_path, MINIMAL.replace("flow: {name}", "flow: other"))
    assert problems(path) == [f"{path}:1: flow 'other' must be in a file named other.yaml"]


def test_payment_needs_a_recovery_path(tmp_path):
    text = (
        TEST_FLOW.read_text()
        .replace("recovery: refund\n", "")
        .replace("flow: test_renewal", "flow: probe")
    )
    found = problems(write(tmp_path, text))
    assert any("needs a recovery step" in p for p in found)
    assert any("step 'refund' cannot be reached" in p for p in found)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('when: reason == "lost"', "when: reason ==", "cannot read rule"),
        ('when: reason == "lost"', "when: __import__('os')", "Call is not allowed in a rule"),
        ('when: reason == "lost"', "when: colour == 1", "the rule reads 'colour'"),
        ('condition: "false"', "condition: nobody > 1", "the rule reads 'nobody'"),
        ("show: [reason,", "show: [nothing,", "shows 'nothing', but no step is called"),
        ("amount: {by: reason,", "amount: {by: mood,", "the fee depends on 'mood'"),
        (
            "      - go: contact\n",
            "      - when: reason == 'x'\n        go: contact\n",
            "the last branch of next needs no 'when'",
        ),
        ("    timeout: 120\n", "    timeout: 15\n", "timeout 15 s leaves no room for the 20 s"),
        (
            "    message: flow.common.done\n    timeout: 15\n",
            "    message: flow.common.done\n    timeout: 15\n    next: welcome\n",
            "a done step ends the flow: it has no next",
        ),
        ("    next: rating\n", "", "this step needs a next"),
        ("  warning: 20", "  warning: 5", "warning: Input should be greater than or equal to 20"),
        ("  max_extensions: 10", "  max_extensions: 3", "max_extensions: Input should be"),
        ("      - {id: damaged,", "      - {id: renewal,", "option ids appear twice: renewal"),
    ],
)
def test_checks_on_the_test_flow(tmp_path, old, new, expected):
    source = TEST_FLOW.read_text()
    assert old in source
    text = source.replace(old, new, 1).replace("flow: test_renewal", "flow: probe")
    found = problems(write(tmp_path, text))
    assert any(expected in p for p in found), found
    assert all(p.startswith(f"{tmp_path}/probe.yaml:") for p in found)
    assert all(int(p.split(":")[1]) > 0 for p in found)


def test_not_a_mapping_and_unreadable(tmp_path):
    assert problems(write(tmp_path, "- a\n- b\n")) == [
        f"{tmp_path}/probe.yaml:1: a flow file is a mapping (flow:, version:, steps: ...)"
    ]
    missing = tmp_path / "absent.yaml"
    assert problems(missing) == [f"{missing}:0: cannot read: No such file or directory"]
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"flow: \xff\n")
    assert problems(bad) == [f"{bad}:0: not UTF-8 text"]


def test_all_problems_are_listed_and_the_message_shows_the_first(tmp_path):
    text = MINIMAL.replace("next: bye", "next: nowhere").replace(
        "text: flow.common.done", "text: flow.none.such"
    )
    with pytest.raises(FlowFileError) as caught:
        load_flow(write(tmp_path, text))
    assert len(caught.value.problems) == 3  # the target, the message id, bye unreachable
    assert str(caught.value).endswith("(and 2 more)")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("values: [lookup.data.ready_date", "values: [later.ready_date",
         "fills in 'later.ready_date', but no step is called 'later'"),
        ("data: {reference: lookup.data.reference}", "data: {reference: nobody.ref}",
         "the pickup reference comes from no step of this flow"),
        ("data: {reference: lookup.data.reference}", "data: {}",
         "the pickup reference comes from no step of this flow"),
    ],
)  # fmt: skip
def test_checks_on_the_pickup_flow(tmp_path, old, new, expected):
    """An info step's filled-in values and the dispense step's reference name steps."""
    source = (FLOWS_DIR / "document_pickup.yaml").read_text(encoding="utf-8")
    assert old in source
    text = source.replace(old, new, 1).replace("flow: document_pickup", "flow: probe")
    found = problems(write(tmp_path, text))
    assert any(expected in p for p in found), found
