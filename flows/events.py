"""What goes into the engine (events) and what comes out (effects and transitions).

Every event carries `now`, the shell's clock in seconds: the engine never reads a
clock of its own, so a headless run on a virtual clock and the touchscreen on the
real one take the same path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from flows.results import StepResult
from offline_cache.journal import JournalEntry

# --- events ---------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    now: float


@dataclass(frozen=True)
class Answer(Event):
    """The citizen's input on a step: an option id, form values, "confirm",
    "continue", a rating 1-5, "finish"."""

    step_id: str
    value: Any


@dataclass(frozen=True)
class Back(Event):
    pass


@dataclass(frozen=True)
class Cancel(Event):
    pass


@dataclass(frozen=True)
class Extend(Event):
    """The citizen asked for more time."""


@dataclass(frozen=True)
class Away(Event):
    """Nobody is at the screen any more (a presence sensor): the step's "are you still
    there?" warning now, rather than when its time is nearly up."""


@dataclass(frozen=True)
class StepCompleted(Event):
    """A service (device, payment, backend) finished the step it was asked to perform."""

    step_id: str
    result: StepResult


@dataclass(frozen=True)
class StepFailed(Event):
    step_id: str
    code: str  # the completion's generic code: timeout, hardware_error, user_error, ...
    recovery: Literal["retry", "user_action", "operator"] = "operator"


@dataclass(frozen=True)
class TimerFired(Event):
    timer: str
    token: int


# --- effects --------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    pass


@dataclass(frozen=True)
class Show(Effect):
    """What the screen shows. `values` are in full only on the confirm step."""

    step_id: str
    step_type: str
    text: str
    params: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field (or "") -> message id
    values: dict[str, Any] = field(default_factory=dict)
    can_go_back: bool = False


@dataclass(frozen=True)
class Say(Effect):
    message_id: str  # a catalogue id: the voice never speaks personal data


@dataclass(frozen=True)
class Perform(Effect):
    """Ask the service behind a step type to do it; it answers with StepCompleted/Failed."""

    step_id: str
    step_type: str
    params: dict[str, Any]
    inputs: dict[str, Any] = field(default_factory=dict)  # collected results it needs


@dataclass(frozen=True)
class Abort(Effect):
    """Stop what a Perform started (the citizen went back, or time ran out)."""

    step_id: str


@dataclass(frozen=True)
class StartTimer(Effect):
    timer: str
    due: float
    token: int


@dataclass(frozen=True)
class CancelTimer(Effect):
    timer: str


@dataclass(frozen=True)
class WarnTimeout(Effect):
    step_id: str
    seconds_left: float
    extensions_left: int


@dataclass(frozen=True)
class EndSession(Effect):
    """The session is over: the shell wipes everything collected about the citizen."""

    outcome: str


# --- transitions ------------------------------------------------------------------

Mode = Literal["normal", "cancelling", "recovering"]


# One move of a session, as the journal keeps it: no personal data, only step ids,
# causes and the journal-safe facts of results. The journal's own record, so what
# the engine says and what the journal writes cannot drift apart.
Transition = JournalEntry


@dataclass(frozen=True)
class Outcome:
    """What one event did: the transition to journal first, then the effects to run."""

    transition: Transition | None
    effects: list[Effect]
