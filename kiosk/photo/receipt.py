"""The photo receipt number (照片回执号): unique across the fleet, even offline, and
not to be guessed.

A number is `{TERMINAL}-{8 digits}-{7 digits}-{CHECK}`, e.g.
`SH-PD-0042-48219377-1029482-J`. The terminal id makes it unique across the fleet, so
no terminal needs the backend to issue one; the 15 digits are drawn at random
(`secrets`, about 50 bits), so a number says nothing of the terminal's other numbers
and guessing one that exists is hopeless: a terminal that takes a million photos
leaves one chance in a billion per guess, and the backend counts every lookup. Each
number is written durably to a SQLite file before it is handed out: two are never the
same (a draw that repeats an old number is drawn again), after a crash as before it.

Digits, because a citizen reads the number out and a clerk types it on a number pad;
the two groups keep the last seven digits where every terminal's scanner looks for a
photo receipt (drivers/scanner/codes.py: `-\\d{7}-C` at the end). The terminal id is at
most 13 characters (the backend's ids are `T` and 12 hex digits), so a number is at
most 32 characters, what the backend keeps.

The check character is ISO/IEC 7064 MOD 37-2 over the whole number, its hyphens counted
as `*` (the one character of MOD 37-2's alphabet a number never has), so that a hyphen
moved, dropped or added is a mistake like any other. It catches every single mistyped
character and every swap of two neighbouring characters, when a citizen reads the
number out or a clerk types it in.

Numbers are upper-case so that the QR code uses its compact alphanumeric mode.
"""

from __future__ import annotations

import io
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

import segno

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"  # ISO/IEC 7064 MOD 37-2
_MODULUS = 37
_RADIX = 2

TERMINAL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,12}$")  # any case; numbers are upper-case
GROUPS = (8, 7)  # the random digits, as printed
SERIAL_DIGITS = sum(GROUPS)
MAX_LENGTH = 13 + SERIAL_DIGITS + len(GROUPS) + 2  # 32: the backend's receipt column
_NUMBER = re.compile(r"^([A-Z0-9][A-Z0-9-]{2,12})-([0-9]{8})-([0-9]{7})-(.)$")

_BUSY_TIMEOUT_S = 30.0  # how long next() waits for another process's transaction
_DRAWS = 8  # a repeat is one chance in 10^15 per number: eight in a row never happen


class ReceiptNumber(NamedTuple):
    terminal: str  # lower-case, as the terminal's id
    serial: str  # the 15 random digits


def check_character(text: str) -> str:
    """The ISO/IEC 7064 MOD 37-2 check character of `text` (characters 0-9, A-Z, *).

    Pure system, computed recursively: p = (p + value) · 2 mod 37 for each character,
    then the check value is (38 - p) mod 37, so that the text with its check character
    appended sums, weighted by powers of 2, to 1 mod 37.
    """
    total = 0
    for char in text:
        value = ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"{char!r} is not a MOD 37-2 character (0-9, A-Z, *)")
        total = (total + value) * _RADIX % _MODULUS
    return ALPHABET[(_MODULUS + 1 - total) % _MODULUS]


def new_serial() -> str:
    """15 digits from the system's cryptographic random source."""
    return f"{secrets.randbelow(10**SERIAL_DIGITS):0{SERIAL_DIGITS}d}"


def make_number(terminal_id: str, serial: str) -> str:
    """The receipt number of a terminal's photo with these 15 digits."""
    _check_terminal_id(terminal_id)
    if len(serial) != SERIAL_DIGITS or not serial.isascii() or not serial.isdigit():
        raise ValueError(f"the serial must be {SERIAL_DIGITS} digits, got {serial!r}")
    first = GROUPS[0]
    body = f"{terminal_id.upper()}-{serial[:first]}-{serial[first:]}"
    return f"{body}-{check_character(body.replace('-', '*'))}"


def parse_number(text: str) -> ReceiptNumber:
    """The terminal id and serial of a receipt number, lower-case input accepted.

    Raises ValueError, with a one-line reason, on anything that is not a number this
    module would make: wrong shape, or a check character that does not match.
    """
    number = text.strip().upper()
    match = _NUMBER.match(number)
    if match is None:
        raise ValueError(
            f"not a photo receipt number (TERMINAL-00000000-0000000-C expected): {text!r}"
        )
    terminal, first, second, check = match.groups()
    if check != check_character(number[:-2].replace("-", "*")):
        # The expected character is not told: it would invite "correcting" a wrong number.
        raise ValueError(f"wrong check character, a character is mistyped or swapped: {text!r}")
    return ReceiptNumber(terminal.lower(), first + second)


def _wal(db: sqlite3.Connection) -> None:
    """WAL mode; a second process switching a new file at the same moment is answered
    "locked" at once (the busy timeout does not cover a change of journal mode), so try
    again for a while."""
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _check_terminal_id(terminal_id: str) -> None:
    if not TERMINAL_ID.match(terminal_id.lower()):
        raise ValueError(
            f"terminal id must be 3-13 of a-z, 0-9 and '-', not starting with '-': {terminal_id!r}"
        )


class ReceiptBook:
    """The terminal's receipt numbers, each written to a SQLite file before it is given.

    Each next() is one IMMEDIATE transaction committed with synchronous=FULL, so a number
    handed out is in the file even after a power cut, and a number already in the file
    (the primary key) is never handed out again. WAL lets readers go on while it writes.
    """

    def __init__(self, path: Path, terminal_id: str) -> None:
        _check_terminal_id(terminal_id)
        self.terminal_id = terminal_id.lower()
        # isolation_level=None: the module starts no transactions; next() says BEGIN itself.
        self._db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            _wal(self._db)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS photo_receipt_numbers"
                "(number TEXT PRIMARY KEY, issued_at REAL NOT NULL)"
            )
        except BaseException:
            self._db.close()
            raise

    def next(self) -> str:
        """A new receipt number, stored before it is returned."""
        for _ in range(_DRAWS):
            number = make_number(self.terminal_id, new_serial())
            with self._transaction():
                added = self._db.execute(
                    "INSERT INTO photo_receipt_numbers(number, issued_at) VALUES (?, ?) "
                    "ON CONFLICT(number) DO NOTHING",
                    (number, time.time()),
                ).rowcount
            if added == 1:
                return number
        raise RuntimeError(f"{_DRAWS} draws in a row repeated old numbers: the random source")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReceiptBook:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def printed_lines(number: str) -> list[str]:
    """A receipt number as printed large on a slip: the terminal id, then the digits and
    check character, so that no line breaks inside a group (a group broken across two
    lines is read out wrong). 18 characters at most on the second line: double-width
    text on 80 mm paper holds 24. Another kind of number is one line, as it is."""
    try:
        terminal, serial = parse_number(number)
    except ValueError:
        return [number]
    head = f"{terminal.upper()}-"
    return [head, make_number(terminal, serial).removeprefix(head)]


def qr_png(number: str, scale: int = 8) -> bytes:
    """A PNG of a QR code of the receipt number, with the standard 4-module quiet zone.

    The number is checked first (a wrong one is never printed) and encoded upper-case.
    A full QR code, not a Micro QR: common scanners, zbar among them, do not read those.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    canonical = make_number(*parse_number(number))
    out = io.BytesIO()
    segno.make_qr(canonical, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
