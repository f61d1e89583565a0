"""Machine-readable zones (ICAO 9303 parts 3-6): TD1 (3 x 30), TD2 (2 x 36) and TD3
(2 x 44, passports), their check digits, and the MRZ information BAC derives its
keys from (document number, birth date, expiry date, each with its check digit).

What real documents do that a strict reading refuses, and is read here:
- a TD3 passport whose personal number is empty may print `<` as that field's
  check digit (part 4, 4.2.2.2), and many do;
- a TD1 or TD2 document number longer than nine characters: its first nine in the
  number field, `<` where its check digit would be, the rest and then the check
  digit at the start of the optional data (part 5, 4.2.2 note j; part 6);
- an OCR reader's usual confusions (O/0, I/1, B/8, S/5, Z/2, G/6, Q/0, D/0):
  a field that can only hold digits has its letters read as digits and a field of
  letters its digits as letters, as PassportEye does. A correction stands only
  when every check digit then holds; otherwise `MrzError` says which field failed,
  and the citizen rescans. The document number, letters and digits both, is not
  guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WEIGHTS = (7, 3, 1)
JOINED = {90: 30, 72: 36, 88: 44}  # an MRZ's lines joined into one: its line width
# what an OCR reads for what: a letter in a field of digits, a digit in one of letters
AS_DIGIT = str.maketrans("OQDIZSGB", "00012568")
AS_LETTER = str.maketrans("0125868", "OIZSBGB")


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
    corrected: bool = False  # read through an OCR confusion (the check digits hold)

    @property
    def key_info(self) -> str:
        """Document number, birth date and expiry, each with its check digit (BAC;
        a number longer than nine characters goes in whole, part 11, 9.7.2)."""
        number = self.document_number.ljust(9, "<")
        return (
            number
            + check_digit(number)
            + self.birth_date
            + check_digit(self.birth_date)
            + self.expiry_date
            + check_digit(self.expiry_date)
        )


def parse(text: str) -> Mrz:
    """The MRZ in `text` (its lines, or an OCR reader's one joined line)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) == 1 and len(lines[0]) in JOINED:  # an OCR reader's one line
        width = JOINED[len(lines[0])]
        lines = [lines[0][i : i + width] for i in range(0, len(lines[0]), width)]
    shape = tuple(len(line) for line in lines)
    layout = LAYOUTS.get(shape)
    if layout is None:
        raise MrzError(f"lines of {shape} characters are not TD1, TD2 or TD3")
    joined = "".join(lines).upper()
    # A field of digits holds no letter and a field of letters no digit in any valid
    # zone: reading look-alikes by field type changes nothing of a good one.
    fixed = layout.fix_types(joined)
    try:
        return layout.read(fixed, corrected=fixed != joined)
    except MrzError as exc:
        # The document number mixes letters and digits: a look-alike there is not
        # guessed (trying each either way, one variant in ten passes the check digit
        # by chance, and the composite adds nothing: it opens with the number under
        # the same weights).
        first = exc
    raise MrzError(f"{first}; rescan the document") from None


@dataclass(frozen=True)
class Layout:
    """Where each field of one format stands in the joined lines."""

    kind: str
    width: int
    code: slice
    issuer: slice
    names: slice
    number: slice
    number_check: int
    nationality: slice
    birth: slice
    birth_check: int
    sex: int
    expiry: slice
    expiry_check: int
    optional: slice  # where a long document number goes on (TD1, TD2), or the personal number
    optional_check: int | None  # TD3's personal number check digit
    composite: tuple[slice, ...]
    composite_check: int

    def read(self, z: str, *, corrected: bool) -> Mrz:
        for i, char in enumerate(z):
            if not (char.isdigit() or "A" <= char <= "Z" or char == "<"):
                raise MrzError(f"{char!r} at {i + 1} is not an MRZ character")
        number = self._number(z)
        _checked(z[self.birth], z[self.birth_check], "birth date")
        _checked(z[self.expiry], z[self.expiry_check], "expiry date")
        if self.optional_check is not None:  # TD3's personal number
            personal, digit = z[self.optional], z[self.optional_check]
            if not (digit == "<" and set(personal) == {"<"}):
                _checked(personal, digit, "personal number")
        _checked("".join(z[s] for s in self.composite), z[self.composite_check], "composite")
        for what, part in (("birth date", z[self.birth]), ("expiry date", z[self.expiry])):
            # an unknown day or month is filled with `<` (ICAO 9303-3 4.2.5)
            if not (part[:2].isdigit() and all(c.isdigit() or c == "<" for c in part[2:])):
                raise MrzError(f"{what} {part!r} is not YYMMDD")
        return Mrz(
            self.kind,
            z[self.code].rstrip("<"),
            z[self.issuer],
            number,
            z[self.birth],
            z[self.sex],
            z[self.expiry],
            z[self.nationality],
            z[self.names].rstrip("<"),
            corrected,
        )

    def _number(self, z: str) -> str:
        """The document number, checked; a long one goes on in the optional data."""
        first, digit = z[self.number], z[self.number_check]
        if self.optional_check is None and digit == "<" and z[self.optional][0] != "<":
            rest = z[self.optional].split("<", 1)[0]
            if len(rest) < 2:
                raise MrzError("document number: its long form has no check digit")
            number = first + rest[:-1]
            return _checked(number, rest[-1], "document number")
        return _checked(first, digit, "document number").rstrip("<")

    def fix_types(self, z: str) -> str:
        """Letters read where only digits can stand, and digits where only letters."""
        chars = list(z)

        def put(where: slice | int, table: dict[int, int]) -> None:
            part = slice(where, where + 1) if isinstance(where, int) else where
            chars[part] = list("".join(chars[part]).translate(table))

        for where in (self.birth, self.birth_check, self.expiry, self.expiry_check,
                      self.composite_check, self.number_check):  # fmt: skip
            put(where, AS_DIGIT)
        for where in (self.code, self.issuer, self.nationality, self.names):
            put(where, AS_LETTER)
        if self.optional_check is not None and z[self.optional_check] != "<":
            put(self.optional_check, AS_DIGIT)
        return "".join(chars)


def _checked(value: str, digit: str, what: str) -> str:
    if check_digit(value) != digit:
        raise MrzError(f"{what}: check digit {digit} does not match")
    return value


def _line(n: int, width: int, start: int, stop: int | None = None) -> slice:
    base = n * width
    return slice(base + start, base + (stop if stop is not None else start + 1))


TD3 = Layout(
    "TD3", 44, code=_line(0, 44, 0, 2), issuer=_line(0, 44, 2, 5), names=_line(0, 44, 5, 44),
    number=_line(1, 44, 0, 9), number_check=44 + 9, nationality=_line(1, 44, 10, 13),
    birth=_line(1, 44, 13, 19), birth_check=44 + 19, sex=44 + 20,
    expiry=_line(1, 44, 21, 27), expiry_check=44 + 27,
    optional=_line(1, 44, 28, 42), optional_check=44 + 42,
    composite=(_line(1, 44, 0, 10), _line(1, 44, 13, 20), _line(1, 44, 21, 43)),
    composite_check=44 + 43,
)  # fmt: skip
TD2 = Layout(
    "TD2", 36, code=_line(0, 36, 0, 2), issuer=_line(0, 36, 2, 5), names=_line(0, 36, 5, 36),
    number=_line(1, 36, 0, 9), number_check=36 + 9, nationality=_line(1, 36, 10, 13),
    birth=_line(1, 36, 13, 19), birth_check=36 + 19, sex=36 + 20,
    expiry=_line(1, 36, 21, 27), expiry_check=36 + 27,
    optional=_line(1, 36, 28, 35), optional_check=None,
    composite=(_line(1, 36, 0, 10), _line(1, 36, 13, 20), _line(1, 36, 21, 35)),
    composite_check=36 + 35,
)  # fmt: skip
TD1 = Layout(
    "TD1", 30, code=_line(0, 30, 0, 2), issuer=_line(0, 30, 2, 5), names=_line(2, 30, 0, 30),
    number=_line(0, 30, 5, 14), number_check=14, nationality=_line(1, 30, 15, 18),
    birth=_line(1, 30, 0, 6), birth_check=30 + 6, sex=30 + 7,
    expiry=_line(1, 30, 8, 14), expiry_check=30 + 14,
    optional=_line(0, 30, 15, 30), optional_check=None,
    composite=(_line(0, 30, 5, 30), _line(1, 30, 0, 7), _line(1, 30, 8, 15),
               _line(1, 30, 18, 29)),
    composite_check=30 + 29,
)  # fmt: skip
LAYOUTS = {(30, 30, 30): TD1, (36, 36): TD2, (44, 44): TD3}


def key_info(document_number: str, birth_date: str, expiry_date: str) -> str:
    """The BAC key from the three fields a citizen or an OCR gives (YYMMDD dates)."""
    for value, what in ((birth_date, "birth date"), (expiry_date, "expiry date")):
        if len(value) != 6 or not value.isdigit():
            raise MrzError(f"{what} must be YYMMDD, not {value!r}")
    number = document_number.upper()
    if not 1 <= len(number) <= 22 or any(not (c.isalnum() or c == "<") for c in number):
        raise MrzError(f"document number {document_number!r} is not 1-22 letters or digits")
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
