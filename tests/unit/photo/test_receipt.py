from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from pyzbar.pyzbar import decode
from stdnum.iso7064 import mod_37_2

from drivers.scanner.codes import kind_of
from kiosk.photo import receipt
from kiosk.photo.receipt import (
    ALPHABET,
    MAX_LENGTH,
    ReceiptBook,
    check_character,
    make_number,
    parse_number,
    printed_lines,
    qr_png,
)

# ---- check character


def test_check_characters_known():
    # By hand, MOD 37-2 of "AB" (A = 10, B = 11), p starting at 0:
    #   A: p = (0 + 10) · 2 mod 37 = 20
    #   B: p = (20 + 11) · 2 mod 37 = 62 mod 37 = 25
    #   check value = (38 - 25) mod 37 = 13 -> "D"
    # Proof: "ABD" weighs 10·2² + 11·2 + 13 = 75 = 2·37 + 1, i.e. 1 mod 37 as required.
    assert check_character("AB") == "D"
    # The example of python-stdnum's iso7064.mod_37_2 (an independent implementation).
    assert check_character("G123489654321") == "Y"
    assert check_character("") == "1"  # p = 0 -> 38 mod 37 = 1
    assert check_character("DEVTERMINAL0000001") == "O"


def test_check_value_makes_the_weighted_sum_one():
    for text in ("0", "Z", "KIOSK070000042", "SHPD00421234567", "*" * 9):
        full = text + check_character(text)
        total = sum(ALPHABET.index(c) * 2 ** (len(full) - 1 - i) for i, c in enumerate(full))
        assert total % 37 == 1, full


def test_check_character_rejects_other_characters():
    with pytest.raises(ValueError, match="not a MOD 37-2 character"):
        check_character("AB-C")
    with pytest.raises(ValueError, match="not a MOD 37-2 character"):
        check_character("abc")


# ---- numbers


def test_number_format():
    # the check character: MOD 37-2 over the number, its hyphens as '*' (python-stdnum's
    # iso7064.mod_37_2, an independent implementation, gives D and J too)
    assert make_number("dev-terminal", "000000000000001") == "DEV-TERMINAL-00000000-0000001-D"
    assert mod_37_2.calc_check_digit("DEV*TERMINAL*00000000*0000001") == "D"
    assert make_number("sh-pd-0042", "482193771029482") == "SH-PD-0042-48219377-1029482-J"
    assert mod_37_2.calc_check_digit("SH*PD*0042*48219377*1029482") == "J"
    assert make_number("T0123456789ab", "0" * 15) == "T0123456789AB-00000000-0000000-6"
    assert len(make_number("t0123456789ab", "9" * 15)) == MAX_LENGTH == 32


@pytest.mark.parametrize("terminal", ["dev-terminal", "sh-pd-0042", "abc", "ab-", "0--", "x" * 13])
@pytest.mark.parametrize("serial", ["0" * 15, "000000000000001", "482193771029482", "9" * 15])
def test_round_trip(terminal, serial):
    number = make_number(terminal, serial)
    assert parse_number(number) == (terminal, serial)
    assert parse_number(number.lower()) == (terminal, serial)
    assert parse_number(f"  {number}\n") == (terminal, serial)  # as a scanner sends it
    assert kind_of(number) == "photo_receipt"  # what every terminal's scanner looks for


@pytest.mark.parametrize(
    ("terminal", "serial", "message"),
    [
        ("-dev", "0" * 15, "terminal id"),
        ("ab", "0" * 15, "terminal id"),
        ("x" * 14, "0" * 15, "terminal id"),
        ("dev_terminal", "0" * 15, "terminal id"),
        ("dev-terminal", "0" * 14, "serial"),
        ("dev-terminal", "0" * 16, "serial"),
        ("dev-terminal", "00000000000000a", "serial"),
        ("dev-terminal", "١" * 15, "serial"),  # digits, but not ASCII ones
    ],
)
def test_make_number_rejects(terminal, serial, message):
    with pytest.raises(ValueError, match=message):
        make_number(terminal, serial)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a photo receipt number"),
        ("DEV-TERMINAL-00000000-0000001", "not a photo receipt number"),
        ("DEV-TERMINAL-0000001-X", "not a photo receipt number"),  # the old, sequential kind
        ("DEV-TERMINAL-0000000-000001-D", "not a photo receipt number"),
        ("DEV-TERMINAL-000000000-0000001-D", "not a photo receipt number"),
        ("DEV-TERMINAL-00000000-0000001-DD", "not a photo receipt number"),
        ("DEV_TERMINAL-00000000-0000001-D", "not a photo receipt number"),
        ("AB-00000000-0000001-D", "not a photo receipt number"),
        ("DEV-TERMINAL-00000000-0000001-P", "wrong check character"),
        ("DEV-TERMINAL-00000000-0000001--", "wrong check character"),
    ],
)
def test_parse_number_rejects(text, message):
    with pytest.raises(ValueError, match=message) as caught:
        parse_number(text)
    assert "\n" not in str(caught.value)


def _mutations(number: str) -> list[tuple[str, str, int]]:
    """Every single-character substitution and adjacent transposition: (text, kind, index)."""
    out = []
    for i, char in enumerate(number):
        for other in ALPHABET + "-":
            if other != char:
                out.append((number[:i] + other + number[i + 1 :], "substitution", i))
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            out.append((swapped, "transposition", i))
    return out


def _detected(text: str) -> bool:
    try:
        parse_number(text)
    except ValueError:
        return True
    return False


def test_every_typo_and_swap_is_detected():
    number = make_number("kiosk07", "123456789012345")
    mutations = _mutations(number)
    assert len(mutations) > len(number) * 37
    assert [m for m in mutations if not _detected(m[0])] == []


def test_every_hyphen_is_checked_too():
    # the hyphens count as '*' in the check: moving one is caught like any typo
    number = make_number("sh-pd-0042", "123456781234567")
    mutations = _mutations(number)
    assert [m for m in mutations if not _detected(m[0])] == []
    for moved in ("S-HPD-0042-12345678-1234567", "SHP-D-0042-12345678-1234567",
                  "SH-PD0-042-12345678-1234567"):  # fmt: skip
        assert _detected(moved + number[-2:])


def test_a_number_is_printed_in_whole_groups():
    number = make_number("t0123456789ab", "482193771029482")
    assert printed_lines(number.lower()) == ["T0123456789AB-", "48219377-1029482-B"]
    assert "".join(printed_lines(number)) == number
    assert max(len(line) for line in printed_lines(number)) <= 24  # double width, 80 mm
    assert printed_lines("R110101202611230007") == ["R110101202611230007"]  # not ours


# ---- never twice (random and unpredictable: tests/backend/test_scoping.py)


def test_numbers_are_stored_before_they_are_given_and_survive_reopening(tmp_path):
    path = tmp_path / "receipts.sqlite"
    with ReceiptBook(path, "sh-pd-0042") as book:
        first = [book.next() for _ in range(3)]
    with ReceiptBook(path, "dev-terminal") as other:  # another terminal's, in the same file
        second = other.next()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        rows = db.execute("SELECT number FROM photo_receipt_numbers ORDER BY rowid")
        assert [n for (n,) in rows] == [*first, second]
    finally:
        db.close()
    assert all(parse_number(n).terminal == "sh-pd-0042" for n in first)
    assert parse_number(second).terminal == "dev-terminal"


def test_a_number_drawn_again_is_never_given_twice(tmp_path, monkeypatch):
    draws = iter(["111111111111111", "111111111111111", "222222222222222"])
    monkeypatch.setattr(receipt, "new_serial", lambda: next(draws))
    with ReceiptBook(tmp_path / "receipts.sqlite", "abc") as book:
        assert book.next() == make_number("abc", "111111111111111")
        assert book.next() == make_number("abc", "222222222222222")  # the repeat redrawn
    monkeypatch.setattr(receipt, "new_serial", lambda: "111111111111111")
    with ReceiptBook(tmp_path / "receipts.sqlite", "abc") as book:
        with pytest.raises(RuntimeError, match="draws in a row"):
            book.next()


def _take_and_crash(path: str, count: int, results) -> None:
    """In a child process: take numbers, tell them, then die without closing anything."""
    book = ReceiptBook(Path(path), "sh-pd-0042")
    results.put([book.next() for _ in range(count)])
    results.close()
    results.join_thread()  # what was put has reached the parent; the book was never closed
    os._exit(0)


def _spawn():
    return multiprocessing.get_context("spawn")


def test_numbers_given_before_a_crash_are_in_the_file(tmp_path):
    path = tmp_path / "receipts.sqlite"
    ctx = _spawn()
    results = ctx.Queue()
    process = ctx.Process(target=_take_and_crash, args=(str(path), 5, results))
    process.start()
    given = results.get(timeout=60)
    process.join(60)
    assert process.exitcode == 0
    process.close()
    db = sqlite3.connect(path)
    try:
        stored = {n for (n,) in db.execute("SELECT number FROM photo_receipt_numbers")}
    finally:
        db.close()
    assert stored == set(given)


def _take(path: str, count: int, start, results) -> None:
    """In a child process: wait for the other, then take `count` numbers."""
    numbers = []
    with ReceiptBook(Path(path), "sh-pd-0042") as book:
        start.wait(60)
        for _ in range(count):
            numbers.append(book.next())
            time.sleep(0.002)
    results.put(numbers)


def test_two_processes_never_get_the_same_number(tmp_path):
    path, per_process = tmp_path / "receipts.sqlite", 200
    ctx = _spawn()
    start, results = ctx.Barrier(2), ctx.Queue()
    processes = [
        ctx.Process(target=_take, args=(str(path), per_process, start, results)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    try:
        first, second = results.get(timeout=120), results.get(timeout=120)
    finally:
        for process in processes:
            process.join(60)
        results.close()
        results.join_thread()
    for process in processes:
        assert process.exitcode == 0
        process.close()
    assert len(set(first + second)) == 2 * per_process
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT count(*) FROM photo_receipt_numbers").fetchone() == (400,)
    finally:
        db.close()


def test_the_book_rejects_a_bad_terminal_id(tmp_path):
    with pytest.raises(ValueError, match="terminal id"):
        ReceiptBook(tmp_path / "receipts.sqlite", "Bad Id")
    assert not (tmp_path / "receipts.sqlite").exists()


# ---- QR code


@pytest.mark.parametrize(
    "number", ["SH-PD-0042-48219377-1029482-J", "dev-terminal-00000000-0000001-d"]
)
def test_qr_decodes_to_the_number(number):
    png = qr_png(number)
    assert png.startswith(b"\x89PNG")
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    found = decode(image)
    assert [(f.type, f.data.decode()) for f in found] == [("QRCODE", number.upper())]
    quiet = 4 * 8  # 4 modules of 8 pixels
    assert image.shape[0] == image.shape[1]
    assert (image[:quiet] == 255).all() and (image[-quiet:] == 255).all()
    assert (image[:, :quiet] == 255).all() and (image[:, -quiet:] == 255).all()
    assert image[quiet, quiet] == 0  # the finder pattern's corner starts right after


def test_qr_scale_and_refusals():
    number = make_number("abc", "000000000000001")
    small, large = qr_png(number, 2), qr_png(number, 10)
    shape = cv2.imdecode(np.frombuffer(small, np.uint8), cv2.IMREAD_GRAYSCALE).shape
    assert cv2.imdecode(np.frombuffer(large, np.uint8), cv2.IMREAD_GRAYSCALE).shape == (
        shape[0] * 5,
        shape[1] * 5,
    )
    with pytest.raises(ValueError, match="wrong check character"):
        qr_png("SH-PD-0042-48219377-1029482-Y")  # a wrong number is never printed
    with pytest.raises(ValueError, match="scale"):
        qr_png("SH-PD-0042-48219377-1029482-J", 0)
