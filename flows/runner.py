"""The headless shell: runs a flow on a virtual clock with scripted answers.

It owns the clock and the event queue, journals each transition before running
its effects (the same order as the touchscreen), and writes a transcript with
personal data masked. Formats: flows/README.md.

Settling a session a crash left open runs here too, unattended: the service steps
then answer from a `Perform` function (the terminal's real step services, in
flows/recovery.py) rather than from a script.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows import events as ev
from flows.engine import FlowEngine
from flows.model import Flow
from flows.results import StepResult
from flows.session import Session
from flows.session_end import steps_before_the_crash, with_steps_before
from flows.transcript import Transcript
from kiosk.errors import KioskError
from kiosk.privacy import Redactor
from offline_cache.journal import Journal, JournalEntry, OpenSession
from wire.sync import SessionReport

CITIZEN_WORDS = {"back", "cancel", "wait", "extend"}
SERVICE_DELAY_S = 1.0  # a scripted service answers after this long unless told
MAX_EVENTS = 10_000  # a flow that loops forever is a bug in the flow or the answers
# A service step carried out for real: `{"result": {...}}` or `{"fail": code}`, as a
# script's entry is written.
Perform = Callable[[ev.Perform], dict[str, Any]]


class AnswersError(KioskError):
    """An answers file that does not fit the flow."""

    exit_code = 2


class NoService(KioskError):
    """A service step with no behaviour on this terminal (and none scripted)."""

    exit_code = 3


@dataclass
class Script:
    """The citizen's inputs per step, and scripted service completions per step."""

    inputs: dict[str, list[Any]] = field(default_factory=dict)
    services: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    source: str = "answers"

    @classmethod
    def from_document(cls, document: Any, source: str) -> Script:
        if not isinstance(document, dict):
            raise AnswersError("flow.answers.shape", file=source)
        unknown = sorted(set(document) - {"answers", "services"})
        if unknown:
            raise AnswersError("flow.answers.unknown_key", file=source, key=unknown[0])
        inputs = {str(k): _as_list(v) for k, v in (document.get("answers") or {}).items()}
        services = {str(k): _as_list(v) for k, v in (document.get("services") or {}).items()}
        return cls(inputs, services, source)

    def next_input(self, step_id: str) -> Any:
        queue = self.inputs.get(step_id)
        if not queue:
            raise AnswersError("flow.answers.exhausted", file=self.source, step=step_id)
        return queue.pop(0)

    def next_service(self, step_id: str, step_type: str) -> dict[str, Any]:
        queue = self.services.get(step_id)
        if not queue:
            raise NoService("flow.no_service", step=step_id, step_type=step_type)
        entry = queue.pop(0) if len(queue) > 1 else queue[0]  # the last one repeats
        if not isinstance(entry, dict) or not ({"result", "fail"} & set(entry)):
            raise AnswersError("flow.answers.service_shape", file=self.source, step=step_id)
        return entry


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


class HeadlessRunner:
    """Runs one session of one flow to its end; `run()` returns the transcript."""

    def __init__(
        self,
        flow: Flow,
        script: Script,
        journal: Journal | None = None,
        redactor: Redactor | None = None,
        session: Session | None = None,
        unattended: bool = False,
        perform: Perform | None = None,
    ) -> None:
        self.flow = flow
        self.script = script
        self.perform = perform  # none: the script answers the service steps
        self.journal = journal
        self.redactor = redactor or Redactor()
        self.session = session or Session(flow.flow, self.redactor)
        self.engine = FlowEngine(flow, self.session)
        self.transcript = Transcript(flow, self.session.id)
        self.unattended = unattended  # nobody at the screen: a crashed session settling
        self.now = 0.0
        self._queue: list[tuple[float, int, int, ev.Event]] = []
        self._order = itertools.count()
        self._visit = 0
        self._extend_on_warning = False
        self.report: SessionReport | None = None  # how it ended, once it has

    def run(self) -> dict[str, Any]:
        if self.journal is not None:
            self.journal.begin(self.session.id, self.flow.flow, self.flow.version)
        self._apply(self.engine.start(self.now))
        return self._loop()

    def resume(self, open_session: OpenSession) -> dict[str, Any]:
        self._apply(
            self.engine.resume(
                open_session.current_step,
                open_session.committed,
                open_session.facts_by_step,
                open_session.last_seq,
                self.now,
            )
        )
        return self._loop()

    def _loop(self) -> dict[str, Any]:
        handled = 0
        while not self.engine.ended:
            if not self._queue or handled > MAX_EVENTS:
                raise AnswersError(
                    "flow.answers.stuck", file=self.script.source, step=self.engine.current
                )
            at, _, visit, event = heapq.heappop(self._queue)
            self.now = max(self.now, at)
            if visit not in (-1, self._visit):
                continue  # the citizen's input was for a screen that has gone
            handled += 1
            if isinstance(event, ev.Answer | ev.Back | ev.Cancel | ev.Extend):
                self.transcript.input(event, self.session)
            self._apply(self.engine.handle(_at(event, self.now)))
        self.report = self.transcript.end(self.engine.outcome, self.now)
        return self.transcript.finish(self.engine.outcome, self.now)

    def _apply(self, outcome: ev.Outcome) -> None:
        """Journal first, then the effects: a crash between them is recoverable."""
        if outcome.transition is not None:
            if self.journal is not None:
                self.journal.record(outcome.transition)
            self.transcript.transition(outcome.transition, self.session)
            self._visit += 1
            self._extend_on_warning = False
        for effect in outcome.effects:
            self.transcript.effect(effect)
            self._effect(effect)

    def _effect(self, effect: ev.Effect) -> None:
        match effect:
            case ev.StartTimer(timer=timer, due=due, token=token):
                self._push(due, ev.TimerFired(due, timer, token), visit=-1)
            case ev.Show(step_id=step_id):
                if self.flow.kind(step_id).by_engine:
                    self._citizen(step_id)
            case ev.WarnTimeout():
                if self._extend_on_warning:
                    self._extend_on_warning = False
                    self._push(self.now, ev.Extend(self.now))
            case ev.Perform():
                self._service(effect)
            case ev.EndSession():
                self.session.wipe()

    def _citizen(self, step_id: str) -> None:
        if self.unattended:
            # Nobody is there: read-and-go screens go on, anything else waits for its timer.
            step_type = self.flow.step(step_id).type
            word = {"info": "continue", "done": "finish"}.get(step_type)
            if word is not None:
                self._push(self.now, ev.Answer(self.now, step_id, word))
            return
        entry = self.script.next_input(step_id)
        delay = 0.0
        if isinstance(entry, dict) and "after" in entry:
            delay, entry = float(entry["after"]), entry.get("input", "wait")
        at = self.now + delay
        if entry == "wait":
            return
        if entry == "extend":
            self._extend_on_warning = True
            return
        event: ev.Event = {"back": ev.Back(at), "cancel": ev.Cancel(at)}.get(
            entry if isinstance(entry, str) else "", ev.Answer(at, step_id, entry)
        )
        self._push(at, event)

    def _service(self, perform: ev.Perform) -> None:
        step_id = perform.step_id
        if self.perform is None:
            entry = self.script.next_service(step_id, perform.step_type)
            at = self.now + float(entry.get("after", SERVICE_DELAY_S))
            self._push(at, service_event(self.flow, step_id, entry, at, self.script.source), -1)
            return
        # done for real: its answer is the next event; one the flow cannot take is a
        # failed step (as on the touchscreen), never a stuck recovery
        entry, at = self.perform(perform), self.now
        event: ev.Event
        try:
            event = service_event(self.flow, step_id, entry, at, "the step service")
        except (AnswersError, KeyError):
            event = ev.StepFailed(at, step_id, "invalid_data", "operator")
        self._push(at, event, visit=-1)

    def _push(self, at: float, event: ev.Event, visit: int | None = None) -> None:
        heapq.heappush(
            self._queue, (at, next(self._order), self._visit if visit is None else visit, event)
        )


def service_event(
    flow: Flow, step_id: str, entry: dict[str, Any], at: float, source: str = "services"
) -> ev.Event:
    """A service's answer, as scripted (`result: {...}` or `fail: code`), as an event."""
    if "fail" in entry:
        return ev.StepFailed(at, step_id, str(entry["fail"]), entry.get("recovery", "operator"))
    result_type = flow.kind(step_id).result
    try:
        result: StepResult = result_type.model_validate(entry["result"])
    except ValueError as exc:
        raise AnswersError(
            "flow.answers.bad_result", file=source, step=step_id, detail=str(exc).splitlines()[0]
        ) from None
    return ev.StepCompleted(at, step_id, result)


def _at(event: ev.Event, now: float) -> ev.Event:
    return event if event.now == now else type(event)(**{**event.__dict__, "now": now})


def recover_open_sessions(
    journal: Journal, flows: dict[str, Flow], script: Script, perform: Perform | None = None
) -> list[dict[str, Any]]:
    """Settle every session the journal says never ended (the terminal lost power);
    `perform`: the service steps done for real (none: as the script says)."""
    settled: list[dict[str, Any]] = []
    for open_session in journal.open_sessions():
        flow = flows.get(open_session.flow)
        if flow is None:  # a flow this version no longer ships: closed, for a person
            journal.record(JournalEntry(
                open_session.session_id, open_session.last_seq + 1, 0.0,
                open_session.current_step, None, "unknown_flow", open_session.committed,
                open_session.mode, {}, "unknown_flow",
            ))  # fmt: skip
            settled.append(
                {
                    "session": open_session.session_id,
                    "flow": open_session.flow,
                    "outcome": "unknown_flow",
                }
            )
            continue
        session = Session(flow.flow, Redactor(), session_id=open_session.session_id)
        runner = HeadlessRunner(
            flow, script, journal, session=session, unattended=True, perform=perform
        )
        before = steps_before_the_crash(flow, journal.entries(open_session.session_id))
        transcript = runner.resume(open_session)
        if runner.report is not None:  # the steps the citizen reached, then the settling
            runner.report = with_steps_before(flow, runner.report, before)
        settled.append(
            {
                "session": open_session.session_id,
                "flow": flow.flow,
                "found_at": open_session.current_step,
                "committed": open_session.committed,
                "outcome": transcript["outcome"],
                "steps": transcript["steps"],
                "report": runner.report,
            }
        )
    return settled


def load_script(path: Path) -> Script:
    from flows.yaml_source import SourceError, load_yaml

    try:
        return Script.from_document(load_yaml(path), str(path))
    except SourceError as exc:
        raise AnswersError("flow.answers.unreadable", file=str(exc)) from None
