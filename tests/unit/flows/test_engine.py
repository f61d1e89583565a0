"""The engine's paths, driven event by event on a virtual clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import events as ev
from flows.engine import EngineError, FlowEngine
from flows.loader import load_flow
from flows.results import BackendReply, Choice, Payment, PrintJob, TakeBack
from flows.session import Session

FLOW = load_flow(Path(__file__).resolve().parents[2] / "flows" / "test_renewal.yaml")
PHONE = {"phone": "13912345678", "agree": True}
PAID = Payment(payment_ref="P-1", state="paid", amount_fen=2000)


class Drive:
    """An engine with its journal of transitions and the effects of the last event."""

    def __init__(self, flow=FLOW) -> None:
        self.session = Session(flow.flow)
        self.engine = FlowEngine(flow, self.session)
        self.transitions: list[ev.Transition] = []
        self.effects: list[ev.Effect] = []
        self.timers: dict[str, ev.StartTimer] = {}
        self.take(self.engine.start(0.0))

    def take(self, outcome: ev.Outcome) -> Drive:
        if outcome.transition is not None:
            self.transitions.append(outcome.transition)
        self.effects = outcome.effects
        for effect in outcome.effects:
            if isinstance(effect, ev.StartTimer):
                self.timers[effect.timer] = effect
        return self

    def send(self, event: ev.Event) -> Drive:
        return self.take(self.engine.handle(event))

    def answer(self, value, now=1.0) -> Drive:
        return self.send(ev.Answer(now, self.engine.current, value))

    def fire(self, timer: str) -> Drive:
        started = self.timers[timer]
        return self.send(ev.TimerFired(started.due, timer, started.token))

    def complete(self, result, now=2.0) -> Drive:
        return self.send(ev.StepCompleted(now, self.engine.current, result))

    def of(self, kind):
        return [e for e in self.effects if isinstance(e, kind)]

    @property
    def at(self) -> str | None:
        return self.engine.current


def to_payment(drive: Drive) -> Drive:
    drive.answer("continue").answer("renewal").answer(PHONE).answer("confirm")
    assert drive.at == "pay"
    return drive


def test_happy_path_is_journaled_and_ends_done():
    d = to_payment(Drive())
    perform = d.of(ev.Perform)[0]
    assert perform.inputs == {"reason": "renewal", "amount_fen": 2000}
    d.complete(PAID).complete(PrintJob(job_ref="J", state="printed")).answer(5).answer("finish")
    assert d.engine.outcome == "done"
    assert [t.to_step for t in d.transitions] == [
        "welcome",
        "reason",
        "contact",
        "check",
        "pay",
        "slip",
        "rating",
        "finished",
        None,
    ]
    assert d.transitions[-1].outcome == "done"
    # owed from the payment until the slip is printed, then served
    assert [t.committed for t in d.transitions] == [False] * 5 + [True] + [False] * 3
    assert d.transitions[5].facts == {"payment_ref": "P-1", "state": "paid", "amount_fen": 2000}
    assert d.of(ev.EndSession) == [ev.EndSession("done")]


def test_rules_pick_the_branch_and_the_fee():
    d = Drive().answer("continue").answer("lost")
    assert d.at == "contact_lost"
    d.answer({"name": "钱多多", "id_number": "11010519491231002x", "phone": "13912345678"})
    shown = d.of(ev.Show)[0]
    assert shown.values == {
        "reason": "lost",
        "contact.phone": None,
        "contact_lost.name": "钱多多",
        "contact_lost.id_number": "11010519491231002X",
    }
    d.answer("confirm")
    assert d.of(ev.Perform)[0].inputs["amount_fen"] == 4000


def test_options_whose_condition_fails_are_neither_shown_nor_accepted():
    d = Drive().answer("continue")
    assert [o["id"] for o in d.of(ev.Show)[0].params["options"]] == ["renewal", "damaged", "lost"]
    d.answer("no")
    assert d.at == "reason" and d.of(ev.Show)[0].errors == {"": "flow.error.choice"}


def test_form_errors_attach_to_their_field_and_restart_the_timer():
    d = Drive().answer("continue").answer("renewal")
    before = d.timers["step.expire"]
    d.answer({"phone": "12345", "agree": False, "extra": "x"}, now=30.0)
    assert d.at == "contact" and not d.transitions[-1].to_step == "check"
    assert d.of(ev.Show)[0].errors == {
        "phone": "flow.error.phone",
        "agree": "flow.error.required",
        "extra": "flow.error.unknown_field",
    }
    assert d.timers["step.expire"].due == 90.0 > before.due
    d.answer(PHONE)
    assert d.at == "check" and d.of(ev.Show)[0].errors == {}


@pytest.mark.parametrize(
    ("step_answers", "bad"),
    [
        (["continue", "renewal", PHONE, "confirm"], None),
        (["nonsense"], "flow.error.answer"),
    ],
)
def test_fixed_answers(step_answers, bad):
    d = Drive()
    for value in step_answers:
        d.answer(value)
    if bad:
        assert d.of(ev.Show)[0].errors == {"": bad}


def test_rating_must_be_one_to_five():
    d = to_payment(Drive()).complete(PAID).complete(PrintJob(job_ref="J", state="printed"))
    for bad in (0, 6, "5", True):
        d.answer(bad)
        assert d.at == "rating" and d.of(ev.Show)[0].errors == {"": "flow.error.rating"}
    d.answer(4)
    assert d.at == "finished"


def test_back_restores_the_step_unanswered_and_then_not_past_payment():
    d = Drive().answer("continue").answer("lost")
    d.send(ev.Back(2.0))
    assert d.at == "reason" and "reason" not in d.session.collected
    assert d.transitions[-1].cause == "back"
    d.answer("renewal").answer(PHONE).answer("confirm")
    d.send(ev.Back(3.0))
    assert d.at == "check" and d.of(ev.Abort) == [ev.Abort("pay")]
    d.answer("confirm").complete(PAID)
    assert d.at == "slip"
    d.send(ev.Back(4.0))
    assert d.at == "slip" and d.effects == []  # paid: there is no way back
    assert d.of(ev.Show) == []


def test_back_on_the_first_step_does_nothing_and_show_says_so():
    d = Drive()
    assert d.of(ev.Show)[0].can_go_back is False
    d.send(ev.Back(1.0))
    assert d.at == "welcome" and len(d.transitions) == 1
    d.answer("continue")
    assert d.of(ev.Show)[0].can_go_back is True


def test_cancel_gives_the_card_back_then_ends_cancelled():
    d = Drive().answer("continue").send(ev.Cancel(5.0))
    assert d.at == "give_back" and d.engine.mode == "cancelling"
    assert d.of(ev.Perform)[0].step_type == "take_back"
    d.send(ev.Cancel(6.0))  # a second tap changes nothing
    assert d.at == "give_back"
    d.complete(TakeBack(removed=True)).answer("finish")
    assert d.engine.outcome == "cancelled"
    assert d.of(ev.EndSession) == [ev.EndSession("cancelled")]  # the shell wipes on this


def test_timeout_warns_first_and_can_be_extended_ten_times():
    d = Drive().answer("continue")
    assert d.timers["step.warn"].due == 41.0 and d.timers["step.expire"].due == 61.0
    for used in range(10):
        d.fire("step.warn")
        warning = d.of(ev.WarnTimeout)[0]
        assert warning.seconds_left == 20 and warning.extensions_left == 10 - used
        assert d.of(ev.Say) == [ev.Say("flow.timeout.warning")]
        d.send(ev.Extend(d.timers["step.warn"].due + 1))
        assert d.at == "reason" and d.of(ev.Show)
    d.fire("step.warn")
    assert d.of(ev.WarnTimeout)[0].extensions_left == 0
    d.send(ev.Extend(1000.0))
    assert d.effects == []  # no more extensions
    d.fire("step.expire")
    assert d.at == "give_back" and d.engine.end_reason == "timeout"
    d.complete(TakeBack(removed=True)).fire("step.expire")  # nobody taps finish
    assert d.engine.outcome == "timeout"


def test_a_citizen_walking_away_is_warned_at_once_and_the_step_ends_sooner():
    d = Drive().answer("continue")
    late_warn, late_expire = d.timers["step.warn"], d.timers["step.expire"]
    d.send(ev.Away(10.0))  # the presence sensor: nobody there for a while
    warning = d.of(ev.WarnTimeout)[0]
    assert warning.seconds_left == 20 and warning.extensions_left == 10
    assert d.of(ev.Say) == [ev.Say("flow.timeout.warning")]
    assert d.of(ev.CancelTimer) == [ev.CancelTimer("step.warn")]
    assert d.timers["step.expire"].due == 30.0  # the warning's 20 s, not 61 s
    d.send(ev.Away(12.0))
    assert d.effects == []  # warned once
    d.send(ev.TimerFired(late_warn.due, "step.warn", late_warn.token))
    d.send(ev.TimerFired(late_expire.due, "step.expire", late_expire.token))
    assert d.at == "reason" and d.effects == []  # the old timers are stale
    d.send(ev.Extend(15.0))  # back: the full time again
    assert d.at == "reason" and d.timers["step.expire"].due == 75.0
    d.fire("step.expire")
    assert d.at == "give_back" and d.engine.end_reason == "timeout"
    d.complete(TakeBack(removed=True), now=80.0)
    assert d.engine.flow.step(d.at).type == "done"
    d.send(ev.Away(81.0))
    assert d.effects == []  # the last screen never warns


def test_extend_without_a_warning_is_ignored_and_stale_timers_are_too():
    d = Drive()
    old = d.timers["step.expire"]
    d.send(ev.Extend(1.0))
    assert d.effects == []
    d.answer("continue")
    d.send(ev.TimerFired(old.due, "step.expire", old.token))
    assert d.at == "reason" and d.effects == []


def test_step_on_timeout_goes_where_the_flow_says(tmp_path):
    text = (
        Path(FLOW_PATH)
        .read_text()
        .replace("flow: test_renewal", "flow: probe")
        .replace("    next: check\n", "    next: check\n    on_timeout: refund\n", 1)
    )
    (tmp_path / "probe.yaml").write_text(text)
    d = Drive(load_flow(tmp_path / "probe.yaml")).answer("continue").answer("renewal")
    d.fire("step.expire")
    assert d.at == "refund" and d.transitions[-1].cause == "timeout"


FLOW_PATH = Path(__file__).resolve().parents[2] / "flows" / "test_renewal.yaml"


def test_session_timeout_before_and_after_payment():
    d = Drive().answer("continue").fire("session")
    assert d.at == "give_back" and d.engine.end_reason == "session_timeout"
    d = to_payment(Drive()).complete(PAID)
    d.fire("session")
    assert d.at == "refund" and d.engine.mode == "recovering"
    assert ev.CancelTimer("session") in d.effects
    d.answer("continue").answer("finish")
    assert d.engine.outcome == "recovered"


def test_failure_before_payment_gives_back_and_after_payment_recovers():
    d = to_payment(Drive())
    d.send(ev.StepFailed(3.0, "pay", "hardware_error"))
    assert d.at == "give_back" and d.engine.end_reason == "failed"
    d.send(ev.StepFailed(4.0, "give_back", "timeout"))  # the card is stuck too
    assert d.engine.outcome == "failed"
    d = to_payment(Drive()).complete(PAID)
    d.send(ev.StepFailed(5.0, "slip", "paper_out"))
    assert d.at == "refund" and d.engine.mode == "recovering"
    assert d.transitions[-1].facts == {"code": "paper_out", "recovery": "operator"}


def test_walking_away_after_being_served_is_no_refund():
    d = to_payment(Drive()).complete(PAID).complete(PrintJob(job_ref="J", state="printed"))
    assert d.at == "rating" and not d.engine.committed
    d.fire("step.expire")
    assert d.at == "give_back" and d.engine.mode == "cancelling"
    assert FLOW.owing_steps == {
        "check",
        "contact",
        "contact_lost",
        "pay",
        "reason",
        "slip",
        "welcome",
    }


def test_payment_unknown_is_settled_on_the_recovery_path_and_failed_is_not():
    d = to_payment(Drive()).complete(Payment(payment_ref="P", state="unknown", amount_fen=2000))
    assert d.at == "refund" and d.engine.committed
    d = to_payment(Drive()).complete(Payment(payment_ref="P", state="failed", amount_fen=2000))
    assert d.at == "give_back" and not d.engine.committed


def test_a_failure_on_the_recovery_path_ends_for_an_operator():
    d = to_payment(Drive()).complete(PAID)
    d.send(ev.StepFailed(5.0, "slip", "paper_out")).answer("continue")
    d.send(ev.Cancel(6.0))  # cancelling while settling changes nothing
    assert d.at == "refunded"
    d.fire("step.expire")
    assert d.engine.outcome == "recovered"


def test_on_error_before_payment(tmp_path):
    text = (
        FLOW_PATH.read_text()
        .replace("flow: test_renewal", "flow: probe")
        .replace(
            "    methods: [wechat, alipay, bank_card]\n",
            "    methods: [wechat, alipay, bank_card]\n    on_error: check\n",
        )
    )
    (tmp_path / "probe.yaml").write_text(text)
    d = to_payment(Drive(load_flow(tmp_path / "probe.yaml")))
    d.send(ev.StepFailed(3.0, "pay", "user_error", "retry"))
    assert d.at == "check" and d.of(ev.Abort) == [ev.Abort("pay")]
    d.send(ev.Back(4.0))
    assert d.at == "pay"


def test_wrong_or_stale_completions_are_handled():
    d = to_payment(Drive())
    d.send(ev.StepCompleted(3.0, "slip", PrintJob(job_ref="J", state="printed")))
    assert d.at == "pay" and d.effects == []  # not the current step
    d.send(ev.StepFailed(3.0, "slip", "x"))
    assert d.at == "pay" and d.effects == []
    d.complete(Choice(option="renewal"))  # the wrong result type is invalid data
    assert d.at == "give_back" and d.transitions[-1].facts["code"] == "invalid_data"
    d.send(ev.Answer(9.0, "give_back", "x"))  # citizens do not answer service steps
    assert d.effects == []


def test_events_after_the_end_and_before_the_start():
    d = Drive()
    d.engine.outcome = None
    with pytest.raises(EngineError):
        d.engine.start(0.0)
    fresh = FlowEngine(FLOW, Session("test_renewal"))
    with pytest.raises(EngineError):
        fresh.handle(ev.Back(0.0))
    d.send(ev.Cancel(1.0)).complete(TakeBack(removed=True)).answer("finish")
    assert d.engine.ended
    d.send(ev.Back(2.0))
    assert d.effects == []
    with pytest.raises(EngineError):
        Drive().send(ev.Event(1.0))


def test_resume_after_a_crash():
    paid = to_payment(Drive()).complete(PAID)
    last = paid.transitions[-1]
    engine = FlowEngine(FLOW, Session("test_renewal", session_id=last.session_id))
    outcome = engine.resume(
        "slip",
        True,
        {"pay": {"payment_ref": "P-1", "state": "paid", "amount_fen": 2000}},
        last.seq,
        100.0,
    )
    assert engine.current == "refund" and outcome.transition.seq == last.seq + 1
    assert engine.session.collected["pay"] == PAID
    engine = FlowEngine(FLOW, Session("test_renewal"))
    engine.resume("contact", False, {"reason": {"option": "lost"}, "gone": {}}, 4, 100.0)
    assert engine.current == "give_back" and engine.end_reason == "crash"
    assert engine.session.collected == {"reason": Choice(option="lost")}


def test_the_same_events_give_the_same_effects():
    def run() -> list:
        d = Drive()
        d.session.id = "fixed"
        out = []
        for step in (
            lambda: d.answer("continue"),
            lambda: d.answer("lost"),
            lambda: d.send(ev.Back(3.0)),
            lambda: d.fire("step.warn"),
            lambda: d.send(ev.Extend(50.0)),
            lambda: d.fire("step.expire"),
        ):
            step()
            out.append(list(d.effects))
        return out

    assert run() == run()


SERVICES = Path(__file__).resolve().parents[3] / "flows" / "services"


@pytest.mark.parametrize(("flow_file", "written"), [("id_renewal", "submit"),
                                                     ("permit_endorsement", "write")])  # fmt: skip
def test_a_lookup_commits_nothing_and_a_failure_after_it_gives_the_card_back(flow_file, written):
    """Once, every backend step counted as done-for-good, the eligibility lookup too: a
    photo step that timed out after it took the refund path of a paid session (a
    refund voucher for no payment) instead of giving the card back."""
    flow = load_flow(SERVICES / f"{flow_file}.yaml")
    assert not flow.irreversible("eligibility")
    assert flow.irreversible(written) and flow.irreversible("pay")
    d = Drive(flow)
    d.engine.current = "eligibility"  # the card read, the lookup under way
    d.complete(BackendReply(status="eligible", data={}))
    assert not d.engine.committed
    d.send(ev.StepFailed(3.0, d.at, "timeout"))
    assert d.engine.mode == "cancelling" and d.at == flow.on_cancel
