"""A citizen's session: what has been collected about them, and its wipe.

Collected results stay in memory (the encrypted store of a later issue takes
photos and templates); `wipe` drops every reference when the session ends, for any
reason, and tells the log redactor to forget the citizen.
"""

from __future__ import annotations

import uuid
from typing import Any

from flows.results import Choice, FormValues, Rating, StepResult
from kiosk.privacy import PersonalKind, Redactor

# Which form-field kinds and identity fields the redactor should learn.
_FORM_KINDS = {
    "id_number": PersonalKind.ID_NUMBER,
    "phone": PersonalKind.PHONE,
    "address": PersonalKind.ADDRESS,
    "text": PersonalKind.NAME,
}
_RECORD_FIELDS = {
    "name": PersonalKind.NAME,
    "holder_name": PersonalKind.NAME,
    "id_number": PersonalKind.ID_NUMBER,
    "document_number": PersonalKind.ID_NUMBER,
    "address": PersonalKind.ADDRESS,
}


class Session:
    def __init__(
        self, flow: str, redactor: Redactor | None = None, session_id: str | None = None
    ) -> None:
        self.id = session_id or uuid.uuid4().hex
        self.flow = flow
        self.collected: dict[str, StepResult] = {}
        self.form_kinds: dict[str, dict[str, str]] = {}  # step -> field -> kind
        self.redactor = redactor
        self.ended = False

    def collect(
        self, step_id: str, result: StepResult, form_kinds: dict[str, str] | None = None
    ) -> None:
        self.collected[step_id] = result
        if form_kinds is not None:
            self.form_kinds[step_id] = form_kinds
        self._teach_redactor(result, form_kinds or {})

    def forget(self, step_id: str) -> None:
        self.collected.pop(step_id, None)
        self.form_kinds.pop(step_id, None)

    def rule_data(self) -> dict[str, Any]:
        """Collected results as rules read them: an option id, a rating, form values."""
        return {step_id: rule_value(result) for step_id, result in self.collected.items()}

    def wipe(self) -> None:
        self.collected.clear()
        self.form_kinds.clear()
        if self.redactor is not None:
            self.redactor.forget_all()
        self.ended = True

    def _teach_redactor(self, result: StepResult, form_kinds: dict[str, str]) -> None:
        if self.redactor is None:
            return
        if isinstance(result, FormValues):
            for name, value in result.values.items():
                kind = _FORM_KINDS.get(form_kinds.get(name, ""))
                if kind is not None and isinstance(value, str):
                    self.redactor.remember(value, kind)
            return
        for name, kind in _RECORD_FIELDS.items():
            found = getattr(result, name, None)
            if isinstance(found, str):
                self.redactor.remember(found, kind)


def rule_value(result: StepResult) -> Any:
    if isinstance(result, Choice):
        return result.option
    if isinstance(result, Rating):
        return result.level
    if isinstance(result, FormValues):
        return dict(result.values)
    return result.model_dump()
