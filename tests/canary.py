"""The canary citizen: fake personal data that must never appear unmasked in any
log, journal or file. Every issue that handles personal data runs this citizen
through its part and greps its outputs with `leaks()`."""

from __future__ import annotations

from pathlib import Path

NAME = "钱多多"
ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"
ADDRESS = "北京市东城区景山前街4号"
PAYMENT_CODE = "134567890123456789"

# Each value and the forms it could leak in (the phone with separators, ...).
FORMS = {
    "name": [NAME],
    "id_number": [ID_NUMBER, ID_NUMBER.lower()],
    "phone": [PHONE, "139-1234-5678", "139 1234 5678"],
    "address": [ADDRESS, "景山前街4号"],
    "payment_code": [PAYMENT_CODE],
}


def leaks(text: str) -> list[str]:
    """Which canary values appear in the text."""
    return [f"{kind}: {form}" for kind, forms in FORMS.items() for form in forms if form in text]


def leaks_in_tree(root: Path) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{path}: {leak}" for leak in leaks(text)]
    return found
