"""The flow-file schema, generated from the step-type table.

A step in a file is its common keys (type, texts, transitions, timeout) plus the
parameters of its type, side by side; pydantic picks the model by `type`.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, cast

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from flows.rules import Rule, parse_rule
from flows.step_types import STEP_TYPES, MessageId, Params, StepType

MIN_WARNING_S = 20  # the citizen gets at least this long to react (elderly-friendly rules)
MIN_EXTENSIONS = 10


class Branch(BaseModel):
    """One way out of a step: `go` there, if `when` holds (or always, without `when`)."""

    model_config = ConfigDict(extra="forbid")
    when: str | None = None
    go: str

    @field_validator("when")
    @classmethod
    def _readable(cls, source: str | None) -> str | None:
        if source is not None:
            parse_rule(source)  # raises RuleError, a ValueError: reported at its line
        return source

    @cached_property
    def rule(self) -> Rule | None:
        return parse_rule(self.when) if self.when is not None else None


class StepCommon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str  # each step model narrows it to its own Literal name
    text: MessageId
    voice: MessageId | None = None
    next: str | list[Branch] | None = None
    timeout: float | None = Field(None, gt=0, le=3600, description="seconds; default: flow's")
    on_timeout: str | None = None  # where the step goes when time runs out; default: end
    on_error: str | None = None  # where a failed step goes (before payment)
    back: bool = True  # may the citizen go back from here
    # "time is running out" before the timeout; off where running out loses nothing
    # (an optional rating that finishes by itself)
    warn: bool = True
    devices: list[str] = Field(default_factory=list)  # beyond what the type needs

    def branches(self) -> list[Branch]:
        if self.next is None:
            return []
        if isinstance(self.next, str):
            return [Branch(go=self.next)]
        return self.next

    def params(self) -> Params:
        kind: StepType = STEP_TYPES[self.type]
        return kind.params.model_validate(
            {name: getattr(self, name) for name in kind.params.model_fields}
        )


def _step_model(kind: StepType) -> type[StepCommon]:
    fields: dict[str, Any] = {"type": (Literal[kind.name], ...)}
    name = f"{kind.name.title().replace('_', '')}Step"
    bases: Any = (StepCommon, kind.params)  # the common keys and the type's parameters
    return cast("type[StepCommon]", create_model(name, __base__=bases, **fields))


STEP_MODELS: dict[str, type[StepCommon]] = {name: _step_model(k) for name, k in STEP_TYPES.items()}
if TYPE_CHECKING:
    AnyStep = StepCommon  # what every step model shares; the checker needs no more
else:
    AnyStep = Annotated[Union[tuple(STEP_MODELS.values())], Field(discriminator="type")]  # noqa: UP007


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeout: float = Field(90, gt=0, le=3600)
    warning: float = Field(
        30, ge=MIN_WARNING_S, description="seconds of warning before a step ends"
    )
    max_extensions: int = Field(MIN_EXTENSIONS, ge=MIN_EXTENSIONS, le=100)


class Stage(BaseModel):
    """A part of a service as the citizen is told it ("3 of 7: photo"): its name and
    the steps it covers. Steps off the normal path (refusals, refunds) belong to none."""

    model_config = ConfigDict(extra="forbid")
    text: MessageId
    steps: list[str] = Field(min_length=1)


class Flow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flow: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    title: MessageId
    description: MessageId | None = None
    # other words citizens use for the service (the service finder's synonyms), one
    # message: words apart by spaces, in each language
    keywords: MessageId | None = None
    start: str
    session_timeout: float = Field(900, gt=0, le=7200)
    defaults: Defaults = Field(default_factory=Defaults)
    recovery: str | None = None  # the path after a failure once the citizen has paid
    on_cancel: str | None = None  # where Cancel goes first (e.g. give the card back)
    steps: dict[str, AnyStep] = Field(min_length=1)
    stages: list[Stage] = Field(default_factory=list)  # the progress shown; none: not shown
    # the home screen's tile that gathers services of a kind (the proofs: a citizen looks
    # for "a certificate" first, then which); none: a tile of its own
    group: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$")

    @field_validator("steps")
    @classmethod
    def _step_ids(cls, steps: dict[str, Any]) -> dict[str, Any]:
        for step_id in steps:
            if not step_id.replace("_", "a").isalnum() or not step_id[0].isalpha():
                raise ValueError(f"step id {step_id!r}: use letters, digits and '_'")
        return steps

    def stage_of(self, step_id: str) -> int | None:
        """The index of the stage `step_id` belongs to, or None."""
        return next((i for i, stage in enumerate(self.stages) if step_id in stage.steps), None)

    def step(self, step_id: str) -> StepCommon:
        step: StepCommon = self.steps[step_id]
        return step

    def kind(self, step_id: str) -> StepType:
        return STEP_TYPES[self.steps[step_id].type]

    def irreversible(self, step_id: str) -> bool:
        """Whether the step, once it succeeded, cannot be undone: its type's word,
        except a backend step that only looks something up."""
        return self.kind(step_id).irreversible and getattr(
            self.steps[step_id].params(), "writes", True
        )

    def timeout_of(self, step_id: str) -> float:
        return self.steps[step_id].timeout or self.defaults.timeout

    @cached_property
    def owing_steps(self) -> frozenset[str]:
        """Steps from which a step that cannot be undone (a payment, a submission, a
        print, a chip write) still lies ahead on the normal path.

        Once a paid session leaves these, it has been served: a later failure,
        timeout or crash owes the citizen their card back, not a refund.
        """
        return frozenset(
            origin
            for origin in self.steps
            if any(self.irreversible(s) for s in self.reachable_from([origin]))
        )

    def exits(self, step_id: str) -> list[str]:
        """Where a step can go on the normal path: next, on_timeout, on_error."""
        step = self.steps[step_id]
        targets = [b.go for b in step.branches()] + [step.on_timeout, step.on_error]
        return [t for t in targets if t is not None and t in self.steps]

    def reachable_from(self, roots: list[str | None]) -> set[str]:
        todo = [r for r in roots if r is not None and r in self.steps]
        seen: set[str] = set()
        while todo:
            step_id = todo.pop()
            if step_id not in seen:
                seen.add(step_id)
                todo += self.exits(step_id)
        return seen

    def devices(self) -> list[str]:
        """Every device the flow needs, each entry a device or "a|b" alternatives."""
        needed: list[str] = []
        for step_id, step in self.steps.items():
            for device in self.kind(step_id).devices(step.params()) + step.devices:
                if device not in needed:
                    needed.append(device)
        return needed
