"""Checking what a citizen typed on a `form` step; errors attach to their field."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date
from typing import Any

from flows.step_types import FormField, FormParams
from kiosk.privacy import MASKS, PersonalKind

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_id_number(value: str) -> str:
    """What a citizen or a reader gives, as the number is printed: full-width digits
    and letters as ASCII (NFKC), spaces gone, a lowercase x as X."""
    return unicodedata.normalize("NFKC", value).replace(" ", "").strip().upper()


def id_number_problem(value: str) -> str | None:
    """What is wrong with a resident ID number (GB 11643), or None: `length`,
    `characters` (ASCII digits and a final X only), `region` (a code no edition of
    GB/T 2260 ever had: a number keeps its code for life, also where the district
    was abolished since), `date` (no such birth date, or one in the future), or
    `check` (the check character does not match: a digit mistyped)."""
    if len(value) != 18:
        return "length"
    if not (value[:17].isascii() and value[:17].isdigit() and value[17] in "0123456789X"):
        return "characters"
    if not known_region(value[:6]):
        return "region"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "date"
    if born > date.today() or born.year < 1880:
        return "date"
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return None if _ID_CHECK[total % 11] == value[17] else "check"


def valid_id_number(value: str) -> bool:
    """A resident ID number, as typed (normalised first)."""
    return id_number_problem(normalise_id_number(value)) is None


@functools.cache
def _regions() -> Any:
    from stdnum import numdb  # its cn/loc.dat: every edition of GB/T 2260 since 1980

    return numdb.get("cn/loc")


def known_region(code: str) -> bool:
    """A county-level code of any edition of GB/T 2260 (not today's table alone,
    which the address picker uses)."""
    if len(code) != 6 or not code.isdigit():
        return False
    levels = _regions().info(code)
    return len(levels) == 2 and "county" in levels[1][1]


def _valid_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None


def _valid_address(value: str) -> bool:
    """`CODE STREET`: a district's GB/T 2260 code (chosen in the picker), then the rest."""
    from kiosk.places import known

    code, _, street = value.partition(" ")
    return len(code) == 6 and known(code) and bool(street.strip())


_CHECKS = {
    "digits": lambda v: v.isdigit() and v.isascii(),
    "phone": lambda v: re.fullmatch(r"1[3-9]\d{9}", v) is not None,
    "date": _valid_date,
    "address": _valid_address,
}


def check_form(
    params: FormParams, values: Any, trusted: dict[str, str] | None = None
) -> tuple[dict[str, str | bool], dict[str, str]]:
    """The cleaned values and the errors (field id -> message id). A value equal to
    the field's `trusted` one (on file: read off the card, given by the backend) is
    not checked against the kind's typing rules: the card's address has no district
    code, and nobody typed it."""
    trusted = trusted or {}
    if not isinstance(values, dict):
        return {}, {"": "flow.error.form_values"}
    clean: dict[str, str | bool] = {}
    errors = {
        str(name): "flow.error.unknown_field"
        for name in values
        if name not in {f.id for f in params.fields}
    }
    for spec in params.fields:
        value = _normalise(spec, values.get(spec.id))
        if value is not None and value == trusted.get(spec.id):
            clean[spec.id] = value
            continue
        problem = _check_field(spec, value)
        if problem:
            errors[spec.id] = problem
        elif value is not None:
            clean[spec.id] = value
    return clean, errors


def _normalise(spec: FormField, value: Any) -> Any:
    """Trimmed text (ID numbers as printed: ASCII, upper-case X), None for empty;
    others as given."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        value = normalise_id_number(value) if spec.kind == "id_number" else value.strip()
        return value or None
    return value


def _check_field(spec: FormField, value: Any) -> str | None:
    if value is None:
        return "flow.error.required" if spec.required else None
    if spec.kind == "checkbox":
        if not isinstance(value, bool):
            return "flow.error.checkbox"
        return "flow.error.required" if spec.required and not value else None
    if not isinstance(value, str):
        return "flow.error.text"
    if spec.min_length is not None and len(value) < spec.min_length:
        return "flow.error.too_short"
    if spec.max_length is not None and len(value) > spec.max_length:
        return "flow.error.too_long"
    if spec.kind == "id_number":
        problem = id_number_problem(value)
        return f"flow.error.id_number.{problem}" if problem else None
    check = _CHECKS.get(spec.kind)
    if check is not None and not check(value):
        return f"flow.error.{spec.kind}"
    return None


_FIELD_KINDS = {
    "id_number": PersonalKind.ID_NUMBER,
    "phone": PersonalKind.PHONE,
    "address": PersonalKind.ADDRESS,
    "text": PersonalKind.NAME,
}


def mask_field(kind: str | None, value: Any) -> Any:
    """A personal form value as it may be shown or written down: masked by its kind,
    starred where no mask fits; None (not personal) leaves it."""
    if kind is None or not isinstance(value, str):
        return value
    personal = _FIELD_KINDS.get(kind)
    return MASKS[personal](value) if personal else "*" * len(value)
