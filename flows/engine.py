"""The flow engine: a deterministic state machine, events in, effects out.

It never blocks, sleeps or reads a clock: the shell (the Qt application, or the
headless runner) owns threads and time, journals each `Outcome.transition`
before it runs the effects, and feeds back citizen input, service completions and
timers. The same events in the same order give the same effects.

Modes: `normal`; `cancelling` (the flow's on_cancel path, e.g. give the card
back, after Cancel, a timeout or a failure before payment); `recovering` (the
flow's recovery path, after anything goes wrong once the citizen has paid).
"""

from __future__ import annotations

import copy
from typing import Any

from flows import events as ev
from flows.forms import check_form, mask_field
from flows.model import Flow
from flows.results import Choice, FormValues, NoResult, Payment, Rating, StepResult
from flows.rules import parse_rule
from flows.session import Session
from flows.step_types import (
    STEP_TYPES,
    ChooseParams,
    ConfirmParams,
    FormParams,
    InfoParams,
    PayParams,
)

WARN, EXPIRE, SESSION = "step.warn", "step.expire", "session"

# A Back point: the step, and what had been collected when it was entered.
_Snapshot = tuple[str, dict[str, StepResult], dict[str, dict[str, str]]]


class EngineError(Exception):
    """An event the engine cannot take in its state (a bug in the shell, not the citizen)."""


class FlowEngine:
    def __init__(self, flow: Flow, session: Session) -> None:
        self.flow = flow
        self.session = session
        self.current: str | None = None
        self.mode: ev.Mode = "normal"
        # Paid (or submitted) and not yet served: trouble now means the recovery path.
        self.committed = False
        self.end_reason: str | None = None  # why the cancelling path runs
        self.outcome: str | None = None
        self._stack: list[_Snapshot] = []
        self._seq = 0
        self._tokens = {WARN: 0, EXPIRE: 0, SESSION: 0}
        self._extensions = 0
        self._warned = False
        self._errors: dict[str, str] = {}

    # --- public ---------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    def start(self, now: float) -> ev.Outcome:
        if self.current is not None or self.ended:
            raise EngineError("the session has already started")
        effects: list[ev.Effect] = [self._timer(SESSION, now + self.flow.session_timeout)]
        return self._go(self.flow.start, now, "start", effects)

    def resume(
        self,
        step_id: str | None,
        committed: bool,
        facts: dict[str, dict[str, Any]],
        last_seq: int,
        now: float,
    ) -> ev.Outcome:
        """After a crash: settle what the journal says was open.

        Paid or otherwise committed: the recovery path, with the journal-safe facts
        of earlier steps (payment ref, amount) restored for it. Not committed: the
        on_cancel path if the flow has one (it gives cards back), else the end.
        """
        self.current, self.committed, self._seq = step_id, committed, last_seq
        for done_step, fact in facts.items():
            restored = _restore(self.flow, done_step, fact)
            if restored is not None:
                self.session.collect(done_step, restored)
        return self._abandon(now, "crash")

    def handle(self, event: ev.Event) -> ev.Outcome:
        if self.ended:
            return ev.Outcome(None, [])  # late timers and completions after the end
        if self.current is None:
            raise EngineError("start the session before sending events")
        match event:
            case ev.TimerFired():
                return self._timer_fired(event)
            case ev.Extend():
                return self._extend(event.now)
            case ev.Away():
                return self._away(event.now)
            case ev.Back():
                return self._back(event.now)
            case ev.Cancel():
                return self._cancel(event.now)
            case ev.Answer():
                return self._answer(event)
            case ev.StepCompleted():
                return self._completed(event)
            case ev.StepFailed():
                return self._failed(event)
        raise EngineError(f"unknown event {type(event).__name__}")

    # --- citizen input ----------------------------------------------------------

    def _answer(self, event: ev.Answer) -> ev.Outcome:
        step_id = self._current()
        kind = self.flow.kind(step_id)
        if event.step_id != step_id or not kind.by_engine:
            return ev.Outcome(None, [])  # a stale tap on a screen already left
        result, errors = self._read_answer(step_id, event.value)
        if result is None:
            self._errors = errors
            return ev.Outcome(None, [self._show(step_id), *self._restart_timers(event.now)])
        if self.flow.step(step_id).type == "done":
            return self._end(event.now, self._final_outcome(), "answer")
        return self._leave(step_id, result, event.now, "answer")

    def _read_answer(self, step_id: str, value: Any) -> tuple[StepResult | None, dict[str, str]]:
        step = self.flow.step(step_id)
        params = step.params()
        if isinstance(params, ChooseParams):
            offered = self._offered(params)
            if value in offered:
                return Choice(option=value), {}
            return None, {"": "flow.error.choice"}
        if isinstance(params, FormParams):
            known = self._known(params)
            if isinstance(value, dict):  # a field left empty takes the value on file
                value = {**value, **{k: v for k, v in known.items() if not value.get(k)}}
            values, errors = check_form(params, value, trusted=known)
            if errors:
                return None, errors
            self.session.form_kinds[step_id] = {f.id: f.kind for f in params.fields if f.personal}
            return FormValues(values=values), {}
        if step.type == "rate":
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
                return Rating(level=value), {}
            return None, {"": "flow.error.rating"}
        expected = {"info": "continue", "confirm": "confirm", "done": "finish"}[step.type]
        if value == expected:
            return NoResult(), {}
        return None, {"": "flow.error.answer"}

    def _offered(self, params: ChooseParams) -> list[str]:
        data = self.session.rule_data()
        return [
            o.id
            for o in params.options
            if o.condition is None or parse_rule(o.condition).holds(data)
        ]

    def _back(self, now: float) -> ev.Outcome:
        step_id = self._current()
        if not self._can_go_back(step_id):
            return ev.Outcome(None, [])
        previous, collected, kinds = self._stack.pop()
        self.session.collected, self.session.form_kinds = collected, kinds
        return self._go(previous, now, "back", self._aborts(step_id))

    def _cancel(self, now: float) -> ev.Outcome:
        if self.mode != "normal":
            return ev.Outcome(None, [])  # already giving back or settling
        return self._abandon(now, "cancelled")

    def _extend(self, now: float) -> ev.Outcome:
        if not self._warned or self._extensions >= self.flow.defaults.max_extensions:
            return ev.Outcome(None, [])
        self._extensions += 1
        return ev.Outcome(None, [self._show(self._current()), *self._restart_timers(now)])

    def _away(self, now: float) -> ev.Outcome:
        """The warning now, and the step's end brought forward to the warning's end;
        once per step (a warning already shown, or a step that never warns: nothing)."""
        step_id = self._current()
        step = self.flow.step(step_id)
        if self._warned or not step.warn or step.type == "done":
            return ev.Outcome(None, [])
        self._warned = True
        self._tokens[WARN] += 1
        left = self.flow.defaults.max_extensions - self._extensions
        return ev.Outcome(
            None,
            [
                ev.CancelTimer(WARN),
                self._timer(EXPIRE, now + self.flow.defaults.warning),
                ev.WarnTimeout(step_id, self.flow.defaults.warning, left),
                ev.Say("flow.timeout.warning"),
            ],
        )

    # --- services and time --------------------------------------------------------

    def _completed(self, event: ev.StepCompleted) -> ev.Outcome:
        step_id = self._current()
        kind = self.flow.kind(step_id)
        if event.step_id != step_id or kind.by_engine:
            return ev.Outcome(None, [])  # a completion for a step already left
        if not isinstance(event.result, kind.result):
            return self._failed(ev.StepFailed(event.now, step_id, "invalid_data"))
        if isinstance(event.result, Payment) and event.result.state != "paid":
            # unknown may have charged: settle it on the recovery path; failed did not.
            self.committed = self.committed or event.result.state == "unknown"
            self.session.collect(step_id, event.result)
            return self._failed(ev.StepFailed(event.now, step_id, f"payment_{event.result.state}"))
        if self.flow.irreversible(step_id):
            self.committed = True
        return self._leave(step_id, event.result, event.now, "completed")

    def _failed(self, event: ev.StepFailed) -> ev.Outcome:
        step_id = self._current()
        if event.step_id != step_id:
            return ev.Outcome(None, [])
        facts = {"code": event.code, "recovery": event.recovery}
        on_error = self.flow.step(step_id).on_error
        if on_error is not None and not self.committed:
            return self._go(
                on_error, event.now, "failed", self._aborts(step_id), facts, self._snapshot()
            )
        return self._abandon(event.now, "failed", facts)

    def _timer_fired(self, event: ev.TimerFired) -> ev.Outcome:
        if self._tokens.get(event.timer) != event.token:
            return ev.Outcome(None, [])  # a timer restarted or cancelled since
        step_id = self._current()
        if event.timer == WARN:
            self._warned = True
            left = self.flow.defaults.max_extensions - self._extensions
            warning = ev.WarnTimeout(step_id, self.flow.defaults.warning, left)
            return ev.Outcome(None, [warning, ev.Say("flow.timeout.warning")])
        if event.timer == SESSION:
            return self._abandon(event.now, "session_timeout")
        step = self.flow.step(step_id)
        if step.type == "done":
            return self._end(event.now, self._final_outcome(), "timeout")
        if step.on_timeout is not None:
            return self._go(step.on_timeout, event.now, "timeout", self._aborts(step_id))
        return self._abandon(event.now, "timeout")

    # --- moving ---------------------------------------------------------------------

    def _leave(self, step_id: str, result: StepResult, now: float, cause: str) -> ev.Outcome:
        snapshot = self._snapshot()  # as the step was entered: Back returns here, unanswered
        self.session.collect(step_id, result, self.session.form_kinds.get(step_id))
        facts = {k: v for k, v in result.model_dump().items() if k in type(result).JOURNAL}
        data = self.session.rule_data()
        target = next(
            b.go for b in self.flow.step(step_id).branches() if b.rule is None or b.rule.holds(data)
        )
        if self.flow.irreversible(step_id):
            self._stack.clear()  # Back never undoes a payment or a submission
            return self._go(target, now, cause, facts=facts)
        return self._go(target, now, cause, facts=facts, push=snapshot)

    def _abandon(self, now: float, reason: str, facts: dict[str, Any] | None = None) -> ev.Outcome:
        """Leave the normal path: settle the money, or give back, or end."""
        aborts = self._aborts(self.current) if self.current else []
        if self.committed and self.flow.recovery and self.mode != "recovering":
            self.mode, self.end_reason = "recovering", reason
            self._tokens[SESSION] += 1  # settling the money must not be cut short
            aborts.append(ev.CancelTimer(SESSION))
            return self._go(self.flow.recovery, now, reason, aborts, facts)
        if (
            not self.committed
            and self.flow.on_cancel
            and self.mode == "normal"
            and self.current != self.flow.on_cancel
        ):
            self.mode, self.end_reason = "cancelling", reason
            return self._go(self.flow.on_cancel, now, reason, aborts, facts)
        outcome = "recovery_failed" if self.mode == "recovering" else reason
        return self._end(now, outcome, reason, aborts, facts)

    def _go(
        self,
        step_id: str,
        now: float,
        cause: str,
        effects: list[ev.Effect] | None = None,
        facts: dict[str, Any] | None = None,
        push: _Snapshot | None = None,
    ) -> ev.Outcome:
        """Enter a step; `push` is what Back from it returns to."""
        previous = self.current
        if push is not None and self.mode == "normal":
            self._stack.append(push)
        self.current = step_id
        if self.committed and self.mode == "normal" and step_id not in self.flow.owing_steps:
            self.committed = False  # served: nothing that cannot be undone is left to do
        self._extensions, self._warned, self._errors = 0, False, {}
        step = self.flow.step(step_id)
        kind = self.flow.kind(step_id)
        out = list(effects or [])
        out += [self._show(step_id), ev.Say(step.voice or step.text)]
        if not kind.by_engine:
            out.append(
                ev.Perform(step_id, step.type, step.params().model_dump(), self._inputs(step_id))
            )
        out += self._restart_timers(now)
        return ev.Outcome(self._transition(now, previous, step_id, cause, facts), out)

    def _end(
        self,
        now: float,
        outcome: str,
        cause: str,
        effects: list[ev.Effect] | None = None,
        facts: dict[str, Any] | None = None,
    ) -> ev.Outcome:
        previous = self.current
        self.outcome = outcome
        out = list(effects or [])
        out += [
            ev.CancelTimer(WARN),
            ev.CancelTimer(EXPIRE),
            ev.CancelTimer(SESSION),
            ev.EndSession(outcome),
        ]
        for timer in self._tokens:
            self._tokens[timer] += 1
        self._stack.clear()
        transition = self._transition(now, previous, None, cause, facts)
        return ev.Outcome(transition, out)

    def _final_outcome(self) -> str:
        if self.mode == "recovering":
            return "recovered"
        if self.mode == "cancelling":
            return self.end_reason or "cancelled"
        return "done"

    # --- helpers ----------------------------------------------------------------------

    def _current(self) -> str:
        assert self.current is not None
        return self.current

    def _snapshot(self) -> _Snapshot:
        return (
            self._current(),
            dict(self.session.collected),
            copy.deepcopy(self.session.form_kinds),
        )

    def _can_go_back(self, step_id: str) -> bool:
        return bool(self._stack) and self.mode == "normal" and self.flow.step(step_id).back

    def _aborts(self, step_id: str) -> list[ev.Effect]:
        return [] if self.flow.kind(step_id).by_engine else [ev.Abort(step_id)]

    def _show(self, step_id: str) -> ev.Show:
        step = self.flow.step(step_id)
        params = step.params()
        shown = params.model_dump()
        values: dict[str, Any] = {}
        if isinstance(params, ChooseParams):
            offered = self._offered(params)
            shown["options"] = [o for o in shown["options"] if o["id"] in offered]
        elif isinstance(params, ConfirmParams):
            data = self.session.rule_data()
            values = {ref: _lookup(data, ref) for ref in params.show}
        elif isinstance(params, InfoParams) and params.why is not None:
            reason = _lookup(self.session.rule_data(), params.why.by)
            shown["message"] = params.why.table.get(str(reason), params.message)
        if isinstance(params, InfoParams) and params.values:
            data = self.session.rule_data()
            found = {ref.split(".")[-1]: _lookup(data, ref) for ref in params.values}
            shown["filled"] = {k: str(v) for k, v in found.items() if v is not None}
        elif isinstance(params, FormParams):
            known = self._known(params)
            for field in shown["fields"]:  # what is on file, masked as the confirm shows it
                on_file = known.get(field["id"])
                field["known"] = mask_field(field["kind"], on_file) if on_file else None
        return ev.Show(
            step_id,
            step.type,
            step.text,
            shown,
            dict(self._errors),
            values,
            self._can_go_back(step_id),
        )

    def _known(self, params: FormParams) -> dict[str, str]:
        """The values on file a form offers (by field id), where the session has them."""
        data = self.session.rule_data()
        found = {f.id: _lookup(data, f.known) for f in params.fields if f.known}
        return {k: v for k, v in found.items() if isinstance(v, str) and v}

    def _inputs(self, step_id: str) -> dict[str, Any]:
        """Collected results a service step reads (the chip's access key, the proof's
        scanned code, the face reference, the fee's deciding value, the print data)."""
        step = self.flow.step(step_id)
        data = self.session.rule_data()
        refs = [getattr(step, "access_key_from", None), getattr(step, "code_from", None)]
        reference = getattr(step, "reference", None)  # one step, or several in order
        refs += reference if isinstance(reference, list) else [reference]
        amount = getattr(step, "amount", None)
        if amount is not None and not isinstance(amount, (int, float)):
            refs.append(amount.by)
        refs += list(getattr(step, "data", {}).values())
        inputs = {ref: _lookup(data, ref) for ref in refs if ref}
        params = step.params()
        if isinstance(params, PayParams):
            inputs["amount_fen"] = _amount_fen(params, data)
        return inputs

    def _restart_timers(self, now: float) -> list[ev.Effect]:
        step_id = self._current()
        timeout = self.flow.timeout_of(step_id)
        self._warned = False
        out: list[ev.Effect] = [self._timer(EXPIRE, now + timeout)]
        step = self.flow.step(step_id)
        if step.type != "done" and step.warn:
            out.insert(0, self._timer(WARN, now + timeout - self.flow.defaults.warning))
        else:
            self._tokens[WARN] += 1
            out.insert(0, ev.CancelTimer(WARN))
        return out

    def _timer(self, name: str, due: float) -> ev.StartTimer:
        self._tokens[name] += 1
        return ev.StartTimer(name, due, self._tokens[name])

    def _transition(
        self,
        now: float,
        from_step: str | None,
        to_step: str | None,
        cause: str,
        facts: dict[str, Any] | None,
    ) -> ev.Transition:
        self._seq += 1
        return ev.Transition(
            self.session.id,
            self._seq,
            now,
            from_step,
            to_step,
            cause,
            self.committed,
            self.mode,
            dict(facts or {}),
            self.outcome,
        )


def _amount_fen(params: PayParams, data: dict[str, Any]) -> int | None:
    """The fee in fen (integers: money is never a float past this point)."""
    if isinstance(params.amount, (int, float)):
        return round(params.amount * 100)
    key = _lookup(data, params.amount.by)
    yuan = params.amount.table.get(str(key), params.amount.default)
    return None if yuan is None else round(yuan * 100)


def _lookup(data: dict[str, Any], ref: str) -> Any:
    value: Any = data
    for part in ref.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _restore(flow: Flow, step_id: str, facts: dict[str, Any]) -> StepResult | None:
    """A result rebuilt from its journal-safe facts, when those are all it has."""
    if step_id not in flow.steps:
        return None
    result_type = STEP_TYPES[flow.steps[step_id].type].result
    try:
        return result_type.model_validate(facts)
    except ValueError:
        return None
