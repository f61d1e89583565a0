"""The photo receipt number (照片回执号): unique across the fleet, even offline.

A number is `{TERMINAL}-{SEQUENCE:07d}-{CHECK}`, e.g. `SH-PD-0042-0000017-E`. The
terminal id makes it unique across the fleet and the per-terminal sequence unique on the
terminal, so no terminal needs the backend to issue one. The sequence lives in a SQLite
file written durably on every number, so a restart or a crash never gives a number twice.

The check character is ISO/IEC 7064 MOD 37-2 over the terminal id and the sequence, the
terminal id's hyphens counted as `*` (the one character of MOD 37-2's alphabet an id
never has), so that a hyphen moved, dropped or added is a mistake like any other. It
catches every single mistyped character and every swap of two neighbouring characters,
when a citizen reads the number out or a clerk types it in.

Numbers are upper-case so that the QR code uses its compact alphanumeric mode.
"""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import segno

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"  # ISO/IEC 7064 MOD 37-2
_MODULUS = 37
_RADIX = 2

TERMINAL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")
SEQUENCE_DIGITS = 7
MAX_SEQUENCE = 10**SEQUENCE_DIGITS - 1  # a fixed width keeps every number of a terminal alike
_NUMBER = re.compile(r"^([A-Z0-9][A-Z0-9-]{2,62})-([0-9]{7})-(.)$")

_BUSY_TIMEOUT_S = 30.0  # how long next() waits for another process's transaction


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


def _checked_text(terminal: str, digits: str) -> str:
    return terminal.replace("-", "*") + digits


def make_number(terminal_id: str, sequence: int) -> str:
    """The receipt number of a terminal's `sequence`-th photo (the first is 1)."""
    _check_terminal_id(terminal_id)
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence must be 1 to {MAX_SEQUENCE}, got {sequence}")
    terminal = terminal_id.upper()
    digits = f"{sequence:0{SEQUENCE_DIGITS}d}"
    return f"{terminal}-{digits}-{check_character(_checked_text(terminal, digits))}"


def parse_number(text: str) -> tuple[str, int]:
    """The terminal id and sequence of a receipt number, lower-case input accepted.

    Raises ValueError, with a one-line reason, on anything that is not a number this
    module would make: wrong shape, sequence 0, or a check character that does not match.
    """
    number = text.strip().upper()
    match = _NUMBER.match(number)
    if match is None:
        raise ValueError(f"not a photo receipt number (TERMINAL-0000000-C expected): {text!r}")
    terminal, digits, check = match.groups()
    if int(digits) == 0:
        raise ValueError(f"sequence 0000000 does not exist (numbers start at 1): {text!r}")
    if check not in ALPHABET or check != check_character(_checked_text(terminal, digits)):
        # The expected character is not told: it would invite "correcting" a wrong number.
        raise ValueError(f"wrong check character, a character is mistyped or swapped: {text!r}")
    return terminal.lower(), int(digits)


def _check_terminal_id(terminal_id: str) -> None:
    if not TERMINAL_ID.match(terminal_id):
        raise ValueError(
            f"terminal id must be 3-63 of a-z, 0-9 and '-', not starting with '-': {terminal_id!r}"
        )


class ReceiptCounter:
    """The terminal's receipt numbers, from a counter kept in a SQLite file.

    Each next() is one IMMEDIATE transaction (so two processes never read the same last
    value) committed with synchronous=FULL (so a number handed out is never handed out
    again after a power cut). WAL lets readers of the file go on while it writes.
    """

    def __init__(self, path: Path, terminal_id: str) -> None:
        _check_terminal_id(terminal_id)
        self.terminal_id = terminal_id
        # isolation_level=None: the module starts no transactions; next() says BEGIN itself.
        self._db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL").fetchall()
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS photo_receipts"
                "(terminal TEXT PRIMARY KEY, last INTEGER NOT NULL)"
            )
        except BaseException:
            self._db.close()
            raise

    def next(self) -> str:
        """The next receipt number, stored before it is returned."""
        with self._transaction():
            (sequence,) = self._db.execute(
                "INSERT INTO photo_receipts(terminal, last) VALUES (?, 1) "
                "ON CONFLICT(terminal) DO UPDATE SET last = last + 1 RETURNING last",
                (self.terminal_id,),
            ).fetchall()[0]
            # Raises (and so rolls back) once the sequence is used up, never wraps round.
            return make_number(self.terminal_id, int(sequence))

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

    def __enter__(self) -> ReceiptCounter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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
