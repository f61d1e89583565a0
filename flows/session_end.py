"""How a session ended and where its time went: what the terminal tells the backend
at every session's end (the `session_ended` audit record), for the data cockpit's
funnels and handling times (docs/cockpit.md).

Nothing personal: step ids and step types from the flow file, seconds, and codes
the engine and the flow file already name (an outcome, a step's failure code, the
backend's refusal reason as one of the keys of the refusal step's `why` table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from flows.model import Flow
from offline_cache.journal import JournalEntry
from wire.sync import CODE, MAX_STEPS_REACHED, SessionReport, StepReached

MAX_STEPS = MAX_STEPS_REACHED  # a session that loops keeps its first 63 steps and its last
TIMED_OUT = {"timeout", "session_timeout"}
End = Literal["finished", "cancelled", "timed_out", "refused", "failed"]


@dataclass
class EndClues:
    """What a transcript notes on the way that says how a session ended."""

    fail_code: str | None = None  # the last step failure's code
    refusal: str | None = None  # the backend's reason, on a refusal step (`why`)
    referral: str | None = None  # a step sending the citizen to the counter
    end_reason: str | None = None  # why the session left its normal path
    refused_at: str | None = None  # the refusal's (or the referral's) step
    failed_at: str | None = None  # the step whose failure the flow answered
    left_from: str | None = None  # the step the session left its normal path from
    last_step: str | None = None  # the step the session ended on


def exit_step(end: End, clues: EndClues) -> str | None:
    """Where the session left the service's path: the step a citizen gave up on (or
    timed out on), the step that failed, the refusal; none when it finished."""
    if end == "finished":
        return None
    if end == "refused":
        return clues.refused_at
    if end == "failed" and clues.failed_at is not None:
        return clues.failed_at
    return clues.left_from or clues.last_step


def ending(outcome: str | None, clues: EndClues) -> tuple[End, str]:
    """The end and its reason code, from the engine's outcome and the clues.

    A session that came to a done step in the normal path finished, unless on the way
    it was refused (the backend said no: the reason), or a step failed and the flow
    sent the citizen elsewhere (the failure's code), or it was referred to the counter
    (the referring step's id). One that left its normal path ended as that says; one
    that was paid and then refunded ended as what started the refund."""
    outcome = outcome or "failed"
    cause = clues.end_reason if outcome == "recovered" else outcome
    if cause == "done":
        if clues.refusal is not None:
            return "refused", clues.refusal
        if clues.fail_code is not None:
            return "failed", clues.fail_code
        if clues.referral is not None:
            return "refused", clues.referral
        return "finished", "done"
    if cause == "cancelled":
        return "cancelled", "cancelled"
    if cause in TIMED_OUT:
        return "timed_out", str(cause)
    if cause == "failed":
        return "failed", clues.fail_code or "failed"
    return "failed", str(cause or outcome)  # crash, recovery_failed, unknown_flow


def spent(flow: Flow, records: list[dict[str, Any]], end_at: float) -> list[StepReached]:
    """The steps of a transcript (its step records), bounded to MAX_STEPS."""
    steps = []
    for record in records:
        left = record.get("left_at")
        seconds = max(0.0, (end_at if left is None else left) - record["entered_at"])
        who: Literal["citizen", "machine"] = (
            "citizen" if flow.kind(record["step"]).by_engine else "machine"
        )
        steps.append(StepReached(step=record["step"], kind=record["type"],
                                 s=round(seconds, 1), who=who))  # fmt: skip
    if len(steps) > MAX_STEPS:
        steps = [*steps[: MAX_STEPS - 1], steps[-1]]
    return steps


def session_end(
    flow: Flow, records: list[dict[str, Any]], outcome: str | None, clues: EndClues, now: float
) -> SessionReport:
    """The report of a session that ended at `now` (the clock its steps were timed on)."""
    end, reason = ending(outcome, clues)
    started = records[0]["entered_at"] if records else now
    return SessionReport(
        end=end,
        reason=reason if re.fullmatch(CODE, reason) else "other",
        exit_step=exit_step(end, clues),
        duration_s=round(max(0.0, now - started), 1),
        steps=spent(flow, records, now),
    )


def steps_before_the_crash(flow: Flow, entries: list[JournalEntry]) -> list[dict[str, Any]]:
    """The step records of what a citizen reached before the power went, from the
    session's journal (the touchscreen's clock); the step the crash found, 0 s."""
    records: list[dict[str, Any]] = []
    for entry in entries:
        if records and records[-1]["left_at"] is None:
            records[-1]["left_at"] = entry.at
        if entry.to_step is not None and entry.to_step in flow.steps:
            step_type = flow.step(entry.to_step).type
            records.append(
                {"step": entry.to_step, "type": step_type, "entered_at": entry.at, "left_at": None}
            )
    if records and records[-1]["left_at"] is None:
        records[-1]["left_at"] = records[-1]["entered_at"]
    return records


def with_steps_before(
    flow: Flow, report: SessionReport, before: list[dict[str, Any]]
) -> SessionReport:
    """A settled session's report with the steps reached before the crash first."""
    if not before:
        return report
    steps = [*spent(flow, before, before[-1]["left_at"]), *report.steps]
    if len(steps) > MAX_STEPS:
        steps = [*steps[: MAX_STEPS - 1], steps[-1]]
    span = max(0.0, before[-1]["left_at"] - before[0]["entered_at"])
    return report.model_copy(
        update={"steps": steps, "duration_s": round(report.duration_s + span, 1)}
    )
