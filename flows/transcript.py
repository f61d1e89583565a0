"""The transcript of a session: every step entered, the input, the result
(masked), the effects, the timings and the taps. Stable JSON: flows/README.md.

The headless runner writes it whole; the touchscreen keeps one per session and,
at its end, only the step records (`step_records`): which steps a citizen went
through, how long each took, how it was left and how many taps it cost. Those
records are what the touch count reads and what the data cockpit's funnels read:
defined here once, with nothing personal in them."""

from __future__ import annotations

from typing import Any

from flows import events as ev
from flows.forms import mask_field
from flows.model import Flow
from flows.results import FormValues, StepResult
from flows.session import Session
from flows.session_end import EndClues, session_end
from flows.step_types import InfoParams
from kiosk.privacy import MASKS, PERSONAL_FIELDS
from wire.sync import SessionReport

# A step record: all a funnel or a touch count needs, nothing a citizen entered.
STEP_RECORD = ("step", "type", "mode", "entered_at", "left_at", "left_by", "taps")


class Transcript:
    def __init__(self, flow: Flow, session_id: str, start_taps: int = 0) -> None:
        self.flow = flow
        self.session_id = session_id
        self.steps: list[dict[str, Any]] = []
        self.start_taps = start_taps  # the tap on the home screen's tile
        self.clues = EndClues()  # how the session is ending, noted on the way

    def tap(self) -> None:
        """A finger on the screen while the current step was shown (the touchscreen
        counts presses, wherever they land: every tap costs the citizen)."""
        if self.steps:
            self.steps[-1]["taps"] += 1

    def transition(self, t: ev.Transition, session: Session) -> None:
        self._note(t, session)
        if self.steps and self.steps[-1]["step"] == t.from_step:
            last = self.steps[-1]
            last["left_at"] = t.at
            last["left_by"] = t.cause
            if t.from_step in session.collected and t.cause in ("answer", "completed"):
                last["result"] = present(
                    session.collected[t.from_step], session.form_kinds.get(t.from_step, {})
                )
        if t.to_step is not None:
            self.steps.append(
                {
                    "step": t.to_step,
                    "type": self.flow.step(t.to_step).type,
                    "mode": t.mode,
                    "entered_at": t.at,
                    "inputs": [],
                    "effects": [],
                    "taps": 0,
                }
            )

    def _note(self, t: ev.Transition, session: Session) -> None:
        """What this move says of how the session ends: codes, never values."""
        clues = self.clues
        if t.cause == "failed" and isinstance(t.facts.get("code"), str):
            clues.fail_code, clues.failed_at = t.facts["code"], t.from_step
        if t.mode != "normal" and clues.end_reason is None:
            clues.end_reason, clues.left_from = t.cause, t.from_step
        if t.to_step is None:
            clues.last_step = t.from_step
        if t.to_step is None or t.mode != "normal":
            return
        params = self.flow.step(t.to_step).params()
        if isinstance(params, InfoParams) and params.why is not None:
            said = _lookup(session.rule_data(), params.why.by)
            # a key of the flow's own table, or "unlisted": never a value from outside
            clues.refusal = str(said) if str(said) in params.why.table else "unlisted"
            clues.refused_at = t.to_step
        elif isinstance(params, InfoParams) and params.referral is not None:
            clues.referral = t.to_step
            clues.refused_at = clues.refused_at or t.to_step

    def end(self, outcome: str | None, now: float) -> SessionReport:
        """The session's end as the backend hears of it (flows/session_end.py)."""
        return session_end(self.flow, step_records({"steps": self.steps}), outcome,
                           self.clues, now)  # fmt: skip

    def input(self, event: ev.Event, session: Session) -> None:
        if not self.steps:
            return
        step = self.steps[-1]
        if isinstance(event, ev.Answer):
            value = event.value
            if isinstance(value, dict):
                kinds = _form_kinds(self.flow, step["step"])
                value = {k: mask_field(kinds.get(k), v) for k, v in value.items()}
            step["inputs"].append({"at": event.now, "answer": value})
        else:
            step["inputs"].append({"at": event.now, "action": type(event).__name__.lower()})

    def effect(self, effect: ev.Effect) -> None:
        if not self.steps:
            return
        summary: dict[str, Any] = {"effect": type(effect).__name__}
        match effect:
            case ev.Say(message_id=message_id):
                summary["message"] = message_id
            case ev.Perform(step_type=step_type, inputs=inputs):
                summary["service"] = step_type
                summary["inputs"] = sorted(inputs)  # names only: values may be personal
            case ev.StartTimer(timer=timer, due=due):
                summary.update(timer=timer, due=due)
            case ev.WarnTimeout(seconds_left=left, extensions_left=extensions):
                summary.update(seconds_left=left, extensions_left=extensions)
            case ev.Show(errors=errors):
                if errors:
                    summary["errors"] = errors
            case ev.EndSession(outcome=outcome):
                summary["outcome"] = outcome
            case ev.CancelTimer() | ev.Abort():
                return  # housekeeping: not worth a line
        self.steps[-1]["effects"].append(summary)

    def finish(self, outcome: str | None, now: float) -> dict[str, Any]:
        return {
            "flow": self.flow.flow,
            "version": self.flow.version,
            "session": self.session_id,
            "outcome": outcome,
            "duration_s": now,
            "taps": self.start_taps + sum(s["taps"] for s in self.steps),
            "steps": self.steps,
        }


def step_records(transcript: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps of a finished transcript as funnels and touch counts read them."""
    return [{k: step.get(k) for k in STEP_RECORD} for step in transcript["steps"]]


def present(result: StepResult, form_kinds: dict[str, str]) -> dict[str, Any]:
    """A result as it may be shown outside the confirm step: personal data masked."""
    data = result.model_dump(mode="json")
    if isinstance(result, FormValues):
        return {"values": {k: mask_field(form_kinds.get(k), v) for k, v in result.values.items()}}
    if not type(result).PERSONAL:
        return data
    shown: dict[str, Any] = {}
    for name, value in data.items():
        kind = PERSONAL_FIELDS.get(name)
        if name in type(result).JOURNAL:
            shown[name] = value
        elif kind is not None and isinstance(value, str):
            shown[name] = MASKS[kind](value)
        else:
            shown[name] = "<withheld>"
    return shown


def _lookup(data: dict[str, Any], ref: str) -> Any:
    value: Any = data
    for part in ref.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _form_kinds(flow: Flow, step_id: str) -> dict[str, str]:
    fields = getattr(flow.step(step_id), "fields", [])
    return {f.id: f.kind for f in fields if f.personal}
