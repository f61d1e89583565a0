"""Masking of personal data, as the design's contract says.

ID numbers keep the first 6 and last 4 characters, names the first character,
phone numbers the first 3 and last 4. Everything that leaves the terminal's memory
as text (logs, slips, screens other than the confirm step) goes through these.

`Redactor` finds personal data in free text three ways: values the session has
told it about (a citizen's name cannot be recognised by pattern), patterns (ID,
bank-card and payment-code numbers, mobile numbers), and field names of
structured data (`name`, `id_number`, ...).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any


class PersonalKind(StrEnum):
    ID_NUMBER = "id_number"
    NAME = "name"
    PHONE = "phone"
    ADDRESS = "address"
    PAYMENT_CODE = "payment_code"
    BIOMETRIC = "biometric"  # photos, fingerprint templates, chip images


def _keep(value: str, head: int, tail: int) -> str:
    """Keep `head` and `tail` characters; if that would show too much, hide it all."""
    hidden = len(value) - head - tail
    if hidden < max(4, len(value) // 3):
        return "*" * len(value)
    return value[:head] + "*" * hidden + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    return _keep(value, 6, 4)


def mask_name(value: str) -> str:
    if not value:
        return value
    return value[0] + "".join(" " if c == " " else "*" for c in value[1:])


def mask_phone(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    return _keep(digits, 3, 4) if len(digits) >= 11 else "*" * len(digits)


def mask_address(value: str) -> str:
    # The province and city (about the first six characters) locate no one.
    return value[:6] + "***" if len(value) > 6 else "***"


def mask_payment_code(value: str) -> str:
    return _keep(value, 6, 4)


def mask_biometric(value: object) -> str:
    size = len(value) if isinstance(value, (bytes, bytearray, str)) else 0
    return f"<biometric data, {size} bytes, withheld>"


MASKS: dict[PersonalKind, Callable[[str], str]] = {
    PersonalKind.ID_NUMBER: mask_id_number,
    PersonalKind.NAME: mask_name,
    PersonalKind.PHONE: mask_phone,
    PersonalKind.ADDRESS: mask_address,
    PersonalKind.PAYMENT_CODE: mask_payment_code,
    PersonalKind.BIOMETRIC: mask_biometric,
}

# Structured fields whose values are personal, whatever they look like.
PERSONAL_FIELDS: dict[str, PersonalKind] = {
    "name": PersonalKind.NAME,
    "holder_name": PersonalKind.NAME,
    "id_number": PersonalKind.ID_NUMBER,
    "document_number": PersonalKind.ID_NUMBER,
    "phone": PersonalKind.PHONE,
    "mobile": PersonalKind.PHONE,
    "address": PersonalKind.ADDRESS,
    "payment_code": PersonalKind.PAYMENT_CODE,
    "card_number": PersonalKind.PAYMENT_CODE,
    "photo": PersonalKind.BIOMETRIC,
    "fingerprint": PersonalKind.BIOMETRIC,
    "template": PersonalKind.BIOMETRIC,
    "chip_image": PersonalKind.BIOMETRIC,
    "personal_frame": PersonalKind.BIOMETRIC,  # a device frame with personal data in it
}

# 15 to 19 digits (old and new ID numbers, bank cards, payment codes), optionally
# ending in X, standing alone.
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[Xx]|\d{15,19})(?![0-9A-Za-z])")
# Mainland mobile numbers, optionally with +86 and separators.
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9])")


class Redactor:
    """Masks personal data in text and structured values. Thread-safe.

    The session calls `remember` with what it learns about the citizen and
    `forget_all` when it ends, so that free text quoting a name is masked too.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # value -> its mask, longest first. Plain replacement, not a regex of the
        # values: `re` caches what it compiles, process-wide, and the citizen's name
        # would outlive the session in that cache.
        self._known: dict[str, str] = {}

    def remember(self, value: str, kind: PersonalKind) -> None:
        value = value.strip()
        if len(value) < 2:  # one character would mask half the log
            return
        with self._lock:
            self._known[value] = MASKS[kind](value)
            ordered = sorted(self._known.items(), key=lambda item: len(item[0]), reverse=True)
            self._known = dict(ordered)

    def forget_all(self) -> None:
        with self._lock:
            self._known.clear()

    def text(self, text: str) -> str:
        with self._lock:
            known = list(self._known.items())
        for value, mask in known:
            text = text.replace(value, mask)
        text = _LONG_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
        return _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)

    def value(self, value: Any, field: str | None = None) -> Any:
        """Mask a structured value; `field` is the key it was found under."""
        kind = PERSONAL_FIELDS.get(field.lower()) if field else None
        if kind is PersonalKind.BIOMETRIC:
            return mask_biometric(value)
        if isinstance(value, str):
            return MASKS[kind](value) if kind else self.text(value)
        if isinstance(value, (bytes, bytearray)):
            return f"<{len(value)} bytes withheld>"
        if isinstance(value, Mapping):
            return {str(k): self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.value(v, field) for v in value]
        if isinstance(value, (int, float, bool)) or value is None:
            if kind is not None and value is not None:
                return MASKS[kind](str(value))
            return value
        return self.text(str(value))
