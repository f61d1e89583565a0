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

from kiosk.photo.receipt import (
    ALPHABET,
    MAX_SEQUENCE,
    ReceiptCounter,
    check_character,
    make_number,
    parse_number,
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
    assert make_number("dev-terminal", 1) == "DEV-TERMINAL-0000001-X"
    assert make_number("sh-pd-0042", 17) == "SH-PD-0042-0000017-E"
    assert make_number("kiosk07", MAX_SEQUENCE) == "KIOSK07-9999999-" + check_character(
        "KIOSK079999999"
    )


@pytest.mark.parametrize("terminal", ["dev-terminal", "sh-pd-0042", "abc", "ab-", "0--", "x" * 63])
@pytest.mark.parametrize("sequence", [1, 2, 42, 1234567, MAX_SEQUENCE])
def test_round_trip(terminal, sequence):
    number = make_number(terminal, sequence)
    assert parse_number(number) == (terminal, sequence)
    assert parse_number(number.lower()) == (terminal, sequence)
    assert parse_number(f"  {number}\n") == (terminal, sequence)  # as a scanner sends it


@pytest.mark.parametrize(
    ("terminal", "sequence", "message"),
    [
        ("Dev-terminal", 1, "terminal id"),
        ("-dev", 1, "terminal id"),
        ("ab", 1, "terminal id"),
        ("x" * 64, 1, "terminal id"),
        ("dev_terminal", 1, "terminal id"),
        ("dev-terminal", 0, "sequence"),
        ("dev-terminal", MAX_SEQUENCE + 1, "sequence"),
    ],
)
def test_make_number_rejects(terminal, sequence, message):
    with pytest.raises(ValueError, match=message):
        make_number(terminal, sequence)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a photo receipt number"),
        ("DEV-TERMINAL-0000001", "not a photo receipt number"),
        ("DEV-TERMINAL-000001-O", "not a photo receipt number"),
        ("DEV-TERMINAL-00000001-O", "not a photo receipt number"),
        ("DEV-TERMINAL-0000001-XX", "not a photo receipt number"),
        ("DEV_TERMINAL-0000001-O", "not a photo receipt number"),
        ("AB-0000001-O", "not a photo receipt number"),
        ("DEV-TERMINAL-0000000-" + check_character("DEVTERMINAL0000000"), "sequence 0000000"),
        ("DEV-TERMINAL-0000001-P", "wrong check character"),
        ("DEV-TERMINAL-0000001--", "wrong check character"),
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
    number = make_number("kiosk07", 1234567)  # KIOSK07-1234567-?
    mutations = _mutations(number)
    assert len(mutations) > len(number) * 37
    assert [m for m in mutations if not _detected(m[0])] == []


def test_hyphens_inside_the_terminal_id_are_checked_too():
    # the id's hyphens count as '*' in the check: moving one is caught like any typo
    number = make_number("sh-pd-0042", 1234567)
    mutations = _mutations(number)
    assert [m for m in mutations if not _detected(m[0])] == []
    for moved in ("S-HPD-0042-1234567", "SHP-D-0042-1234567", "SH-PD0-042-1234567"):
        assert _detected(moved + number[-2:])


# ---- counter


def test_counter_counts_from_one_and_survives_reopening(tmp_path):
    path = tmp_path / "receipts.sqlite"
    with ReceiptCounter(path, "sh-pd-0042") as counter:
        assert [counter.next() for _ in range(3)] == [
            make_number("sh-pd-0042", n) for n in (1, 2, 3)
        ]
    with ReceiptCounter(path, "sh-pd-0042") as counter:
        assert counter.next() == make_number("sh-pd-0042", 4)
    with ReceiptCounter(path, "dev-terminal") as other:  # its own sequence in the same file
        assert other.next() == make_number("dev-terminal", 1)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        rows = db.execute("SELECT terminal, last FROM photo_receipts ORDER BY terminal")
        assert rows.fetchall() == [("dev-terminal", 1), ("sh-pd-0042", 4)]
    finally:
        db.close()


def _take_and_crash(path: str, count: int) -> None:
    """In a child process: take numbers, then die without closing anything."""
    counter = ReceiptCounter(Path(path), "sh-pd-0042")
    for _ in range(count):
        counter.next()
    os._exit(0)


def _spawn():
    return multiprocessing.get_context("spawn")


def test_counter_survives_a_crash(tmp_path):
    path = tmp_path / "receipts.sqlite"
    process = _spawn().Process(target=_take_and_crash, args=(str(path), 5))
    process.start()
    process.join(60)
    assert process.exitcode == 0
    process.close()
    with ReceiptCounter(path, "sh-pd-0042") as counter:
        assert parse_number(counter.next()) == ("sh-pd-0042", 6)


def _take(path: str, count: int, start, results) -> None:
    """In a child process: wait for the other, then take `count` numbers.

    A short pause between numbers, as between two citizens: in a tight loop one process
    would take all its numbers while SQLite's busy handler has the other one asleep.
    """
    numbers = []
    with ReceiptCounter(Path(path), "sh-pd-0042") as counter:
        start.wait(60)
        for _ in range(count):
            numbers.append(counter.next())
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
    numbers = first + second
    assert len(set(numbers)) == 2 * per_process
    # The two really ran at once: neither got one unbroken run of numbers.
    for taken in (first, second):
        sequences = [parse_number(n)[1] for n in taken]
        assert sequences != list(range(sequences[0], sequences[0] + per_process))
    assert sorted(parse_number(n)[1] for n in numbers) == list(range(1, 2 * per_process + 1))


def test_two_connections_in_turn(tmp_path):
    path = tmp_path / "receipts.sqlite"
    with ReceiptCounter(path, "abc") as one, ReceiptCounter(path, "abc") as two:
        numbers = [counter.next() for _ in range(50) for counter in (one, two)]
    assert [parse_number(n)[1] for n in numbers] == list(range(1, 101))


def test_a_used_up_sequence_is_an_error_and_changes_nothing(tmp_path):
    path = tmp_path / "receipts.sqlite"
    with ReceiptCounter(path, "abc") as counter:
        counter.next()
        db = sqlite3.connect(path)
        try:
            with db:
                db.execute("UPDATE photo_receipts SET last = ?", (MAX_SEQUENCE,))
        finally:
            db.close()
        with pytest.raises(ValueError, match="sequence"):
            counter.next()
        with pytest.raises(ValueError, match="sequence"):  # and the counter still works
            counter.next()
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT last FROM photo_receipts").fetchone() == (MAX_SEQUENCE,)
    finally:
        db.close()


def test_counter_rejects_a_bad_terminal_id(tmp_path):
    with pytest.raises(ValueError, match="terminal id"):
        ReceiptCounter(tmp_path / "receipts.sqlite", "Bad Id")
    assert not (tmp_path / "receipts.sqlite").exists()


# ---- QR code


@pytest.mark.parametrize("number", ["SH-PD-0042-0000017-E", "dev-terminal-0000001-x"])
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
    number = make_number("abc", 1)
    small, large = qr_png(number, 2), qr_png(number, 10)
    shape = cv2.imdecode(np.frombuffer(small, np.uint8), cv2.IMREAD_GRAYSCALE).shape
    assert cv2.imdecode(np.frombuffer(large, np.uint8), cv2.IMREAD_GRAYSCALE).shape == (
        shape[0] * 5,
        shape[1] * 5,
    )
    with pytest.raises(ValueError, match="wrong check character"):
        qr_png("SH-PD-0042-0000017-Y")  # a wrong number is never printed
    with pytest.raises(ValueError, match="scale"):
        qr_png("SH-PD-0042-0000017-E", 0)
