"""Loading and checking a flow file. Every problem names the file and the line.

Checked beyond the schema: transitions to missing steps, steps no path reaches,
message ids missing from the catalogue, rules that read unknown steps, confirm
steps that show unknown values, a flow that takes money without a recovery path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from flows.model import Flow
from flows.rules import RuleError, parse_rule
from flows.shapes import ShapeError, extend, where
from flows.step_types import STEP_TYPES
from flows.yaml_source import LineDict, SourceError, line_of, load_yaml
from kiosk.errors import KioskError
from kiosk.strings import Catalogue, catalogue

FLOWS_DIR = Path(__file__).resolve().parent / "services"


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class FlowFileError(KioskError):
    """A flow file with problems; `problems` lists them all, the message shows the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__("flow.invalid", problem=str(problems[0]), more=more)
        self.problems = problems


def load_flow(path: Path, strings: Catalogue | None = None) -> Flow:
    """Read and check one flow file; raise `FlowFileError` listing every problem."""
    try:
        document = load_yaml(path)
        if isinstance(document, LineDict):
            document = extend(document, path)
    except (SourceError, ShapeError) as exc:
        raise FlowFileError([Problem(exc.path, exc.line, exc.problem)]) from None
    if not isinstance(document, LineDict):
        raise FlowFileError(
            [
                Problem(
                    path,
                    getattr(document, "line", 1),
                    "a flow file is a mapping (flow:, version:, steps: ...)",
                )
            ]
        )
    try:
        flow = Flow.model_validate(document)
    except ValidationError as exc:
        raise FlowFileError(
            [
                Problem(*where(document, loc, path), message)
                for loc, message in _schema_problems(exc)
            ]
        ) from None
    problems = [
        Problem(*where(document, loc, path), message)
        for loc, message in _graph_problems(flow, strings or catalogue())
    ]
    if flow.flow != path.stem:
        problems.insert(
            0,
            Problem(
                path,
                line_of(document, ("flow",)),
                f"flow '{flow.flow}' must be in a file named {flow.flow}.yaml",
            ),
        )
    if problems:
        raise FlowFileError(problems)
    return flow


def flow_files(folder: Path = FLOWS_DIR) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


Location = tuple[str | int, ...]


def _schema_problems(exc: ValidationError) -> Iterator[tuple[Location, str]]:
    for error in exc.errors():
        loc = list(error["loc"])
        # A tagged union puts the step's type into the location: leave it out.
        if len(loc) > 2 and loc[0] == "steps" and loc[2] in STEP_TYPES:
            del loc[2]
        key = str(loc[-1]) if loc else ""
        kind = error["type"]
        if kind == "union_tag_invalid":
            known = ", ".join(STEP_TYPES)
            message = f"unknown step type '{error['ctx']['tag']}' (known: {known})"
            loc.append("type")
        elif kind == "union_tag_not_found":
            message = "a step needs a type"
        elif kind == "missing":
            message = f"'{key}' is required here"
        elif kind == "extra_forbidden":
            message = f"unknown key '{key}'"
        else:
            message = f"{key}: {error['msg'].removeprefix('Value error, ')}"
        yield tuple(loc), message


def _graph_problems(flow: Flow, strings: Catalogue) -> Iterator[tuple[Location, str]]:
    steps = flow.steps
    known = set(steps)

    def target(loc: Location, step_id: str | None, what: str) -> Iterator[tuple[Location, str]]:
        if step_id is not None and step_id not in known:
            yield loc, f"{what} goes to '{step_id}', which is not a step of this flow"

    yield from target(("start",), flow.start, "start")
    yield from target(("recovery",), flow.recovery, "recovery")
    yield from target(("on_cancel",), flow.on_cancel, "on_cancel")
    for step_id, step in steps.items():
        at: Location = ("steps", step_id)
        branches = step.branches()
        for i, branch in enumerate(branches):
            where = (*at, "next") if isinstance(step.next, str) else (*at, "next", i)
            yield from target(where, branch.go, "next")
            if branch.rule is not None:
                yield from _rule_names(where, branch.rule.names, known)
            if branch.when is not None and i == len(branches) - 1:
                yield where, "the last branch of next needs no 'when': it is the default"
            if branch.when is None and i < len(branches) - 1:
                yield where, "a branch without 'when' must come last"
        yield from target((*at, "on_timeout"), step.on_timeout, "on_timeout")
        yield from target((*at, "on_error"), step.on_error, "on_error")
        if step.type == "done" and branches:
            yield (*at, "next"), "a done step ends the flow: it has no next"
        if step.type != "done" and not branches:
            yield at, "this step needs a next"
        timeout = flow.timeout_of(step_id)
        if step.type != "done" and step.warn and timeout <= flow.defaults.warning:
            yield (
                (*at, "timeout"),
                (
                    f"timeout {timeout:g} s leaves no room for the {flow.defaults.warning:g} s "
                    "warning before it"
                ),
            )
        yield from _step_specifics(flow, step_id, known)
    staged: set[str] = set()
    for i, stage in enumerate(flow.stages):
        for j, step_id in enumerate(stage.steps):
            if step_id not in known:
                yield ("stages", i, "steps", j), f"'{step_id}' is not a step of this flow"
            elif step_id in staged:
                yield ("stages", i, "steps", j), f"'{step_id}' is in two stages"
            staged.add(step_id)
    for loc, message_id in _message_ids(flow):
        if message_id not in strings.ids():
            yield loc, f"message id '{message_id}' is not in the catalogue"
    if any(s.type == "pay" for s in steps.values()) and flow.recovery is None:
        yield ("flow",), "this flow takes payment: it needs a recovery step (refund or voucher)"
    reached = flow.reachable_from([flow.start, flow.recovery, flow.on_cancel])
    for step_id in steps:
        if step_id not in reached:
            yield ("steps", step_id), f"step '{step_id}' cannot be reached from '{flow.start}'"


def _rule_names(
    loc: Location, names: frozenset[str], known: set[str]
) -> Iterator[tuple[Location, str]]:
    for name in sorted(names - known):
        yield loc, f"the rule reads '{name}', which is not a step of this flow"


def _step_specifics(flow: Flow, step_id: str, known: set[str]) -> Iterator[tuple[Location, str]]:
    step: Any = flow.steps[step_id]
    at: Location = ("steps", step_id)
    if step.type == "choose":
        for i, option in enumerate(step.options):
            if option.condition is not None:
                try:
                    rule = parse_rule(option.condition)
                except RuleError as exc:
                    yield (*at, "options", i, "condition"), str(exc)
                    continue
                yield from _rule_names((*at, "options", i, "condition"), rule.names, known)
    elif step.type == "confirm":
        for i, ref in enumerate(step.show):
            if ref.split(".")[0] not in known:
                yield (
                    (*at, "show", i),
                    f"shows '{ref}', but no step is called '{ref.split('.')[0]}'",
                )
    elif step.type == "info":
        if step.why is not None and step.why.by.split(".")[0] not in known:
            yield (*at, "why", "by"), f"the reason is read from '{step.why.by}', not a step"
        for i, ref in enumerate(step.values):
            if ref.split(".")[0] not in known:
                first = ref.split(".")[0]
                yield (*at, "values", i), f"fills in '{ref}', but no step is called '{first}'"
    elif step.type == "dispense_document":
        ref = step.data.get("reference")
        if ref is None or ref.split(".")[0] not in known:
            yield (*at, "data", "reference"), "the pickup reference comes from no step of this flow"
    elif step.type == "form":
        for i, field in enumerate(step.fields):
            if field.known is not None and field.known.split(".")[0] not in known:
                yield (
                    (*at, "fields", i, "known"),
                    f"offers '{field.known}', but no step is called '{field.known.split('.')[0]}'",
                )
    elif step.type == "pay" and not isinstance(step.amount, (int, float)):
        if step.amount.by.split(".")[0] not in known:
            yield (*at, "amount", "by"), f"the fee depends on '{step.amount.by}', not a step"
    elif step.type == "verify_proof" and step.code_from in known:
        source = flow.steps[step.code_from].type
        if source != "scan_code":
            yield (*at, "code_from"), f"the code comes from a scan_code step, not a {source} step"
    for name in ("access_key_from", "reference", "code_from"):
        named = getattr(step, name, None)
        for ref in named if isinstance(named, list) else [named]:
            if ref is not None and ref not in known:
                yield (*at, name), f"{name} names '{ref}', which is not a step of this flow"


def _message_ids(flow: Flow) -> Iterator[tuple[Location, str]]:
    yield ("title",), flow.title
    for i, stage in enumerate(flow.stages):
        yield ("stages", i, "text"), stage.text
    if flow.description:
        yield ("description",), flow.description
    if flow.keywords:
        yield ("keywords",), flow.keywords
    for step_id, step in flow.steps.items():
        at: Location = ("steps", step_id)
        yield (*at, "text"), step.text
        if step.voice:
            yield (*at, "voice"), step.voice
        for name in STEP_TYPES[step.type].message_fields:
            if getattr(step, name, None):
                yield (*at, name), getattr(step, name)
        for i, option in enumerate(getattr(step, "options", [])):
            yield (*at, "options", i, "text"), option.text
        for i, field in enumerate(getattr(step, "fields", [])):
            yield (*at, "fields", i, "label"), field.label
        why = getattr(step, "why", None)
        for reason, message in why.table.items() if why is not None else []:
            yield (*at, "why", "table", reason), message
