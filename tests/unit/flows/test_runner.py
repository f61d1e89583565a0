"""The headless runner: answers, waiting, extensions, scripted services, transcripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.loader import load_flow
from flows.runner import AnswersError, HeadlessRunner, NoService, Script

FLOW = load_flow(Path(__file__).resolve().parents[2] / "flows" / "test_renewal.yaml")
SERVICES = {
    "pay": {"result": {"payment_ref": "P", "state": "paid", "amount_fen": 2000}, "after": 8},
    "slip": {"result": {"job_ref": "J", "state": "printed"}},
    "give_back": {"result": {"removed": True}},
}


TO_PAY = {
    "welcome": "continue",
    "reason": "renewal",
    "contact": {"phone": "13912345678", "agree": True},
    "check": "confirm",
}


def run(answers: dict, services: dict | None = None) -> dict:
    services = SERVICES if services is None else services
    script = Script.from_document({"answers": answers, "services": services}, "t")
    return HeadlessRunner(FLOW, script).run()


def steps(transcript: dict) -> list[str]:
    return [s["step"] for s in transcript["steps"]]


def test_waiting_lets_the_step_time_out_after_its_warning():
    t = run({"welcome": "wait", "cancelled": "wait"})
    assert t["outcome"] == "timeout"
    welcome = t["steps"][0]
    assert [e.get("seconds_left") for e in welcome["effects"] if e["effect"] == "WarnTimeout"] == [
        20
    ]
    assert welcome["left_at"] == 60.0 and welcome["left_by"] == "timeout"
    assert steps(t) == ["welcome", "give_back", "cancelled"]
    assert t["duration_s"] == 60.0 + 1.0 + 10.0  # the card comes back, the done step times out


def test_more_time_then_an_answer():
    t = run(
        {
            "welcome": ["extend", "extend", {"after": 30, "input": "continue"}],
            "reason": "cancel",
            "cancelled": "finish",
        }
    )
    welcome = t["steps"][0]
    assert [i["action"] for i in welcome["inputs"] if "action" in i] == ["extend", "extend"]
    assert welcome["inputs"][-1] == {"at": 110.0, "answer": "continue"}  # 40, 80, then +30
    assert t["outcome"] == "cancelled"


def test_back_and_a_corrected_form():
    t = run(
        {
            "welcome": "continue",
            "reason": ["lost", "renewal"],
            "contact_lost": "back",
            "contact": [{"phone": "123", "agree": True}, {"phone": "13912345678", "agree": True}],
            "check": "confirm",
            "rating": 5,
            "finished": "finish",
        }
    )
    assert steps(t)[:5] == ["welcome", "reason", "contact_lost", "reason", "contact"]
    contact = t["steps"][4]
    assert [e["errors"] for e in contact["effects"] if "errors" in e] == [
        {"phone": "flow.error.phone"}
    ]
    assert t["outcome"] == "done"


def test_a_failed_service_after_payment_takes_the_recovery_path():
    t = run(
        {
            "welcome": "continue",
            "reason": "renewal",
            "contact": {"phone": "13912345678", "agree": True},
            "check": "confirm",
            "refund": "continue",
            "refunded": "finish",
        },
        {**SERVICES, "slip": {"fail": "paper_out"}},
    )
    assert t["outcome"] == "recovered"
    assert steps(t)[-2:] == ["refund", "refunded"]
    assert t["steps"][-2]["mode"] == "recovering"


def test_input_for_a_screen_already_gone_is_dropped():
    # The citizen would answer at 70 s, but the step timed out at 60 s.
    t = run({"welcome": {"after": 70, "input": "continue"}, "cancelled": "finish"})
    assert t["steps"][0]["inputs"] == []
    assert t["outcome"] == "timeout"


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ([1, 2], AnswersError),
        ({"answers": {}, "extra": 1}, AnswersError),
    ],
)
def test_bad_answer_files(document, error):
    with pytest.raises(error):
        Script.from_document(document, "t")


def test_missing_inputs_services_and_bad_results():
    with pytest.raises(AnswersError, match="no input left for step 'reason'"):
        run({"welcome": "continue"})
    with pytest.raises(NoService):
        run(
            TO_PAY,
            {},
        )
    with pytest.raises(AnswersError):
        run(
            TO_PAY,
            {"pay": {"result": {"state": "maybe"}}},
        )
    with pytest.raises(AnswersError):
        run(
            TO_PAY,
            {"pay": "paid"},
        )
