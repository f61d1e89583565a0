"""Machine-readable zones (ICAO 9303 parts 3-5): TD1 (3 x 30), TD2 (2 x 36) and TD3
(2 x 44, passports), their check digits, and the MRZ information BAC derives its
keys from (document number, birth date, expiry date, each with its check digit)."""

from __future__ import annotations

from dataclasses import dataclass, field

WEIGHTS = (7, 3, 1)
JOINED = {90: 30, 72: 36, 88: 44}  # an MRZ's lines joined into one: its line width


class MrzError(ValueError):
    """An MRZ that is not well formed, or whose check digit does not match."""


def check_digit(field: str) -> str:
    total = 0
    for i, char in enumerate(field):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - 55
        elif char == "<":
            value = 0
        else:
            raise MrzError(f"{char!r} is not an MRZ character")
        total += value * WEIGHTS[i % 3]
    return str(total % 10)


@dataclass(frozen=True)
class Mrz:
    kind: str  # TD1, TD2, TD3
    document_code: str
    issuer: str
    # personal data stays out of reprs (and so out of any log line or traceback)
    document_number: str = field(repr=False)
    birth_date: str = field(repr=False)  # YYMMDD
    sex: str
    expiry_date: str  # YYMMDD
    nationality: str
    names: str = field(repr=False)  # primary<<secondary, as printed

    @property
    def key_info(self) -> str:
        """Document number, birth date and expiry, each with its check digit (BAC)."""
        number = self.document_number.ljust(9, "<")
        return (
            number
            + check_digit(number)
            + self.birth_date
            + check_digit(self.birth_date)
            + self.expiry_date
            + check_digit(self.expiry_date)
        )


def _checked(value: str, digit: str, what: str) -> str:
    if check_digit(value) != digit:
        raise MrzError(f"{what}: check digit {digit} does not match {value!r}")
    return value


def parse(text: str) -> Mrz:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) == 1 and len(lines[0]) in JOINED:  # an OCR reader's one line
        width = JOINED[len(lines[0])]
        lines = [lines[0][i : i + width] for i in range(0, len(lines[0]), width)]
    shape = tuple(len(line) for line in lines)
    if shape == (30, 30, 30):
        return _td1(lines)
    if shape == (36, 36):
        return _td2_td3(lines, "TD2")
    if shape == (44, 44):
        return _td2_td3(lines, "TD3")
    raise MrzError(f"lines of {shape} characters are not TD1, TD2 or TD3")


def _td2_td3(lines: list[str], kind: str) -> Mrz:
    top, bottom = lines
    number = _checked(bottom[0:9], bottom[9], "document number")
    birth = _checked(bottom[13:19], bottom[19], "birth date")
    expiry = _checked(bottom[21:27], bottom[27], "expiry date")
    if kind == "TD3":
        _checked(bottom[28:42], bottom[42], "personal number")
        _checked(bottom[0:10] + bottom[13:20] + bottom[21:43], bottom[43], "composite")
    else:
        _checked(bottom[0:10] + bottom[13:20] + bottom[21:35], bottom[35], "composite")
    return Mrz(
        kind,
        top[0:2].rstrip("<"),
        top[2:5],
        number.rstrip("<"),
        birth,
        bottom[20],
        expiry,
        bottom[10:13],
        top[5:].rstrip("<"),
    )


def _td1(lines: list[str]) -> Mrz:
    top, middle, bottom = lines
    number = _checked(top[5:14], top[14], "document number")
    birth = _checked(middle[0:6], middle[6], "birth date")
    expiry = _checked(middle[8:14], middle[14], "expiry date")
    _checked(top[5:30] + middle[0:7] + middle[8:15] + middle[18:29], middle[29], "composite")
    return Mrz(
        "TD1",
        top[0:2].rstrip("<"),
        top[2:5],
        number.rstrip("<"),
        birth,
        middle[7],
        expiry,
        middle[15:18],
        bottom.rstrip("<"),
    )


def key_info(document_number: str, birth_date: str, expiry_date: str) -> str:
    """The BAC key from the three fields a citizen or an OCR gives (YYMMDD dates)."""
    for value, what in ((birth_date, "birth date"), (expiry_date, "expiry date")):
        if len(value) != 6 or not value.isdigit():
            raise MrzError(f"{what} must be YYMMDD, not {value!r}")
    number = document_number.upper()
    if not 1 <= len(number) <= 9 or any(not (c.isalnum() or c == "<") for c in number):
        raise MrzError(f"document number {document_number!r} is not 1-9 letters or digits")
    return Mrz("", "", "", number, birth_date, "", expiry_date, "", "").key_info


def compose_td3(
    document_number: str,
    birth_date: str,
    expiry_date: str,
    names: str,
    *,
    issuer: str = "UTO",
    nationality: str = "UTO",
    sex: str = "<",
    document_code: str = "P",
) -> str:
    """A passport's two lines with every check digit (the simulated documents)."""
    top = (document_code.ljust(2, "<") + issuer + names.upper().replace(" ", "<"))[:44]
    number = document_number.upper().ljust(9, "<")
    personal = "<" * 14
    bottom = (
        number
        + check_digit(number)
        + nationality
        + birth_date
        + check_digit(birth_date)
        + sex
        + expiry_date
        + check_digit(expiry_date)
        + personal
        + check_digit(personal)
    )
    composite = bottom[0:10] + bottom[13:20] + bottom[21:43]
    return top.ljust(44, "<") + "\n" + bottom + check_digit(composite)
