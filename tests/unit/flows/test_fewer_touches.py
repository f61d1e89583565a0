"""What saves a citizen taps, in the engine: a value on file offered instead of typing
(`known`), an optional rating that finishes by itself (`warn: false` with
`on_timeout`), the reason a service is refused said on its screen (`why`), and the
stages the progress shows; and the loader's checks of each."""

from __future__ import annotations

import pytest

from flows import events as ev
from flows.loader import FlowFileError, load_flow
from flows.results import BackendReply
from tests.unit.flows.test_engine import Drive

FLOW = """
flow: probe
version: 1
title: flow.common.welcome
start: check
defaults: {timeout: 60, warning: 20, max_extensions: 10}
stages:
  - {text: flow.stage.card, steps: [check]}
  - {text: flow.stage.contact, steps: [contact]}
  - {text: flow.stage.finish, steps: [rating, finished]}
steps:
  check:
    type: backend
    text: flow.common.checking
    operation: id_renewal_eligibility
    next:
      - when: check.status == "eligible"
        go: contact
      - go: refused
  refused:
    type: info
    text: flow.common.ineligible
    message: flow.id_renewal.ineligible
    why:
      by: check.data.reason
      table: {minor: flow.why.minor, not_due: flow.why.not_due}
    next: finished
  contact:
    type: form
    text: flow.common.contact
    fields:
      - {id: phone, kind: phone, label: flow.common.field.phone, known: check.data.phone}
    next: rating
  rating:
    type: rate
    text: flow.common.rate
    timeout: 12
    warn: false
    on_timeout: finished
    next: finished
  finished:
    type: done
    text: flow.common.done
    message: flow.id_renewal.done
"""


@pytest.fixture
def flow(tmp_path):
    (tmp_path / "probe.yaml").write_text(FLOW)
    return load_flow(tmp_path / "probe.yaml")


def checked(flow, **data) -> Drive:
    d = Drive(flow)
    return d.complete(BackendReply(status=data.pop("status", "eligible"), data=data))


def shown(d: Drive) -> ev.Show:
    (show,) = d.of(ev.Show)
    return show


def test_a_phone_on_file_is_offered_masked_and_taken_with_one_tap(flow):
    d = checked(flow, phone="13812345678")
    assert d.at == "contact"
    (field,) = shown(d).params["fields"]
    assert field["known"] == "138****5678"  # never the number itself on the screen
    d.answer({})  # the one tap: nothing typed
    assert d.at == "rating"
    assert d.session.collected["contact"].values == {"phone": "13812345678"}


def test_a_number_typed_instead_replaces_the_one_on_file_and_is_checked(flow):
    d = checked(flow, phone="13812345678")
    d.answer({"phone": "12345"})
    assert d.at == "contact" and shown(d).errors == {"phone": "flow.error.phone"}
    d.answer({"phone": "13900001111"})
    assert d.session.collected["contact"].values == {"phone": "13900001111"}


def test_nothing_on_file_offers_nothing_and_an_empty_answer_is_refused(flow):
    d = checked(flow)
    (field,) = shown(d).params["fields"]
    assert field["known"] is None
    d.answer({})
    assert d.at == "contact" and shown(d).errors == {"phone": "flow.error.required"}


def test_the_optional_rating_warns_of_nothing_and_finishes_by_itself(flow):
    d = checked(flow, phone="13812345678").answer({})
    assert d.at == "rating"
    assert [t.timer for t in d.of(ev.StartTimer)] == ["step.expire"]  # no warning
    d.fire("step.expire")
    assert d.at == "finished" and d.engine.outcome is None  # on the normal path
    d.answer("finish")
    assert d.engine.outcome == "done"


@pytest.mark.parametrize(
    ("reason", "message"),
    [("minor", "flow.why.minor"), ("not_due", "flow.why.not_due"),
     ("unheard_of", "flow.id_renewal.ineligible"), (None, "flow.id_renewal.ineligible")],
)  # fmt: skip
def test_a_refusal_says_why_where_the_flow_knows_the_reason(flow, reason, message):
    d = checked(flow, status="ineligible", **({"reason": reason} if reason else {}))
    assert d.at == "refused" and shown(d).params["message"] == message


def test_stages_place_each_step_and_leave_refusals_out(flow):
    assert [flow.stage_of(s) for s in ("check", "contact", "rating", "refused")] == [0, 1, 2, None]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("known: check.data.phone", "known: nowhere.phone"),
        ("by: check.data.reason", "by: nowhere.reason"),
        ("table: {minor: flow.why.minor,", "table: {minor: flow.why.no_such_message,"),
        ("steps: [contact]}", "steps: [contact, no_such_step]}"),
        ("steps: [contact]}", "steps: [check]}"),
        ("{text: flow.stage.contact,", "{text: flow.stage.no_such_stage,"),
        ("    warn: false\n", ""),  # 12 s leaves no room for a 20 s warning
    ],
)
def test_the_loader_refuses_what_cannot_work(tmp_path, change, problem):
    assert change in FLOW
    (tmp_path / "bad.yaml").write_text(FLOW.replace(change, problem, 1))
    with pytest.raises(FlowFileError):
        load_flow(tmp_path / "bad.yaml")
