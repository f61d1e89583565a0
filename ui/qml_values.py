"""Values between the engine and QML: what QML can hold, what the engine takes back,
and what the confirm screen and the voice read (labels, options, addresses as names,
the face check's ask). The address picker's lists come from here too.
"""

from __future__ import annotations

from typing import Any

from flows.model import Flow
from kiosk.places import children, full_name, known, provinces

# Qt's own type names: QML gets JavaScript objects and arrays (PySide's stubs type
# Property's first argument as a Python type only)
QVARIANT_MAP: Any = "QVariantMap"
QVARIANT_LIST: Any = "QVariantList"


def for_qml(value: Any) -> Any:
    """Values QML can hold: None becomes "" (a QVariant of None trips PySide)."""
    if isinstance(value, dict):
        return {str(k): for_qml(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [for_qml(v) for v in value]
    return "" if value is None else value


def plain(value: Any) -> Any:
    """QML's values as the engine takes them (QJSValue maps and lists to Python)."""
    if hasattr(value, "toVariant"):
        value = value.toVariant()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def confirm_values(flow: Flow, values: dict[str, Any]) -> list[dict[str, str]]:
    """The confirm step's values, in full, each with the message id that names it."""
    return [
        {
            "name": ref,
            "label": label(flow, ref),
            "value": shown(value),
            "valueId": option(flow, ref, value),
        }
        for ref, value in values.items()
        if value not in (None, "")
    ]


def label(flow: Flow, ref: str) -> str:
    """The message id that names a collected value: its form field's label, the
    result field's own (a proof check's holder), or the question of the step that
    chose it."""
    step_id, _, field_id = ref.partition(".")
    step = flow.steps.get(step_id)
    if step is None:
        return ""
    for field in getattr(step.params(), "fields", []):
        if field.id == field_id:
            return str(field.label)
    return flow.kind(step_id).result.LABELS.get(field_id, str(step.text))


def option(flow: Flow, ref: str, value: Any) -> str:
    """A chosen option's own text (message id), so a choice reads as words; a result
    field's value that stands for words (a proof's kind: its title)."""
    step_id, _, field_id = ref.partition(".")
    step = flow.steps.get(step_id)
    if step is None:
        return ""
    if field_id:
        words = flow.kind(step_id).result.VALUE_TEXTS.get(field_id)
        return words.format(value) if words and isinstance(value, str) else ""
    for choice in getattr(step.params(), "options", []):
        if choice.id == value:
            return str(choice.text)
    return ""


def shown(value: Any) -> str:
    if isinstance(value, str) and value[:6].isdigit() and value[6:7] == " " and known(value[:6]):
        return f"{full_name(value[:6])} {value[7:]}"  # an address: the code as names
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v not in (None, ""))
    return "" if value is None else str(value)


def places(code: str) -> list[dict[str, str]]:
    """The address picker's next list: provinces (code ""), cities, districts."""
    found = provinces() if not code else children(code)
    return [{"code": c, "name": name} for c, name in found]


def spoken(news: dict[str, Any]) -> str | None:
    """What the face check asks of the citizen now, as a message to say."""
    if news.get("state") == "failed":
        return "ui.face.again"
    if "challenge" not in news:
        return None
    hint = news.get("hint")
    return f"ui.face.hint.{hint}" if hint else f"ui.face.challenge.{news['challenge']}"
