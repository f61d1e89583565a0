"""SM2 verification with precomputed tables (wire/crypto/sm2_tables.py) against
OpenSSL's own EVP verification, the oracle: the same answer on every signature, good,
tampered, out of range or built to meet the point at infinity; and which keys get a
table, when one gives way, and that nothing leaks."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.unit.wire.test_crypto import (
    SM2_D,
    SM2_MESSAGE,
    SM2_PUBLIC,
    SM2_SIGNATURE,
    flip,
    malloc_in_use,
)
from wire import crypto
from wire.crypto import sm2, sm2_tables
from wire.crypto.sm2 import ORDER

GM = crypto.suite("gm")
EVP = sm2.Sm2("gm")


def evp_accepts(public: crypto.PublicKey, message: bytes, signature: bytes) -> bool:
    try:
        EVP.verify_through_evp(public, message, signature)
    except crypto.BadSignature:
        return False
    return True


def table_of(public: crypto.PublicKey) -> sm2_tables.Table:
    return sm2_tables._table(GM.public_bytes(public))


def test_the_example_verifies_with_its_table_and_nothing_near_it_does():
    table = sm2_tables._table(SM2_PUBLIC)
    assert sm2_tables.verified(table, SM2_MESSAGE, SM2_SIGNATURE)
    assert not sm2_tables.verified(table, b"message digesT", SM2_SIGNATURE)
    for bit in range(0, 512, 7):
        assert not sm2_tables.verified(table, SM2_MESSAGE, flip(SM2_SIGNATURE, bit))


def test_tables_answer_as_openssl_does_on_hundreds_of_signatures():
    """40 keys, 10 messages each: the good signature, and three changed ones."""
    rng = random.Random("issue 21 tables")
    cases = agreed = accepted = 0
    for _ in range(40):
        private = GM.generate_private_key()
        other = GM.generate_private_key()
        table = table_of(private.public)
        for _ in range(10):
            message = rng.randbytes(rng.choice((0, 1, 32, 200, 1500, rng.randrange(4000))))
            good = GM.sign(private, message)
            for signature, text in (
                (good, message),
                (flip(good, rng.randrange(512)), message),
                (good, flip(message, rng.randrange(8 * len(message))) if message else b"x"),
                (GM.sign(other, message), message),
            ):
                expected = evp_accepts(private.public, text, signature)
                found = sm2_tables.verified(table, text, signature)
                cases, agreed = cases + 1, agreed + (found == expected)
                accepted += found
    assert (cases, agreed, accepted) == (1600, 1600, 400)


def test_r_and_s_outside_1_to_n_minus_1_or_summing_to_n_are_refused_as_openssl_does():
    public = GM.load_public_bytes(SM2_PUBLIC)
    table = sm2_tables._table(SM2_PUBLIC)
    r, s = SM2_SIGNATURE[:32], SM2_SIGNATURE[32:]
    n = ORDER.to_bytes(32, "big")
    r_value = int.from_bytes(r, "big")
    for bad in (bytes(32) + s, r + bytes(32), n + s, r + n, b"\xff" * 64,
                r + (ORDER - r_value).to_bytes(32, "big")):  # t = r + s = n  # fmt: skip
        assert not evp_accepts(public, SM2_MESSAGE, bad)
        assert not sm2_tables.verified(table, SM2_MESSAGE, bad)


def test_a_signature_whose_point_is_infinity_is_refused():
    """[s]G + [t]P is the point at infinity when s + (r + s)d = 0 mod n: s =
    -rd / (1 + d). It has no x: without the check, OpenSSL's error would come out of
    the check instead of a refusal."""
    d = int.from_bytes(SM2_D, "big")
    r = 0x1234567890ABCDEF
    s = (-r * d * pow(1 + d, -1, ORDER)) % ORDER
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    public = GM.load_public_bytes(SM2_PUBLIC)
    assert not evp_accepts(public, SM2_MESSAGE, signature)
    assert not sm2_tables.verified(sm2_tables._table(SM2_PUBLIC), SM2_MESSAGE, signature)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keys(count: int) -> list[bytes]:
    return [GM.public_bytes(GM.generate_private_key().public) for _ in range(count)]


def test_a_key_gets_its_table_on_its_second_verification():
    tables = sm2_tables.Tables(at_most=4, clock=Clock())
    key = keys(1)[0]
    assert tables.get(key) is None and len(tables) == 0  # once: EVP
    table = tables.get(key)
    assert table is not None and len(tables) == 1
    assert tables.get(key) is table


def test_full_tables_keep_their_keys_until_one_idles():
    """A fleet bigger than the tables: the newcomers verify through EVP, and no kept
    table is rebuilt, until one goes unused for IDLE_S; then it gives way."""
    clock = Clock()
    tables = sm2_tables.Tables(at_most=2, clock=clock)
    first, second, third = keys(3)
    for key in (first, second, first, second):
        tables.get(key)
    kept = {key: tables.get(key) for key in (first, second)}
    for _ in range(3):  # the third comes round again and again within the idle time
        clock.now += 30
        assert tables.get(third) is None
        assert tables.get(first) is kept[first] and tables.get(second) is kept[second]
    clock.now += sm2_tables.IDLE_S - 1
    tables.get(second)  # first is now the least recently used
    clock.now += 2
    table = tables.get(third)
    assert table is not None and len(tables) == 2
    assert tables.get(second) is kept[second]
    assert tables.get(first) is None  # gone: it has to be seen again, as a new key


def test_no_tables_when_at_most_is_zero_and_verification_still_works():
    tables = sm2_tables.Tables(at_most=0)
    key = keys(1)[0]
    assert [tables.get(key) for _ in range(3)] == [None] * 3
    private = GM.generate_private_key()
    sm2_tables.keep(0)
    try:
        for _ in range(3):
            GM.verify(private.public, b"m", GM.sign(private, b"m"))
        assert len(sm2_tables.tables()) == 0
    finally:
        sm2_tables.keep(sm2_tables.AT_MOST)


def test_suite_verify_takes_the_table_from_the_second_time():
    sm2_tables.keep(sm2_tables.AT_MOST)
    private = GM.generate_private_key()
    signature = GM.sign(private, b"beat")
    GM.verify(private.public, b"beat", signature)
    assert len(sm2_tables.tables()) == 0
    GM.verify(private.public, b"beat", signature)
    assert len(sm2_tables.tables()) == 1
    with pytest.raises(crypto.BadSignature):
        GM.verify(private.public, b"beaT", signature)


def test_threads_verify_while_tables_come_and_go():
    """Four threads, six keys, two tables whose clock runs fast: tables are made, given
    up and freed while other threads verify with them."""
    clock = Clock()
    tables = sm2_tables.Tables(at_most=2, clock=clock)
    signers = [GM.generate_private_key() for _ in range(6)]
    lock = threading.Lock()

    def work(number: int) -> int:
        wrong = 0
        for i in range(60):
            private = signers[(number + i) % 6]
            message = f"{number}/{i}".encode()
            signature = GM.sign(private, message)
            with lock:
                clock.now += sm2_tables.IDLE_S / 3
            table = tables.get(GM.public_bytes(private.public))
            if table is not None:
                wrong += not sm2_tables.verified(table, message, signature)
                wrong += sm2_tables.verified(table, message + b"!", signature)
        return wrong

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(work, range(4))) == [0, 0, 0, 0]
    assert len(tables) == 2


def test_tables_free_what_openssl_allocates():
    """500 tables made and dropped leave malloc where it was (one table is 80 KB)."""

    def rounds(count: int) -> None:
        for _ in range(count):
            table = sm2_tables._table(SM2_PUBLIC)
            assert sm2_tables.verified(table, SM2_MESSAGE, SM2_SIGNATURE)

    rounds(50)
    before = malloc_in_use()
    rounds(500)
    assert malloc_in_use() - before < 80_000


def test_without_precompute_mult_every_key_verifies_through_evp(monkeypatch):
    """An OpenSSL built without its deprecated functions: no tables, nothing else lost."""

    class Without:
        def __getattr__(self, name: str) -> object:
            if name == "EC_GROUP_precompute_mult":
                raise AttributeError(name)
            return getattr(real, name)

    real = sm2_tables.libcrypto()
    forget = (sm2_tables.available.cache_clear, sm2_tables._library.cache_clear)
    for cache_clear in forget:
        cache_clear()
    monkeypatch.setattr(sm2_tables, "libcrypto", Without)
    try:
        assert not sm2_tables.available()
        tables = sm2_tables.Tables(at_most=4)
        private = GM.generate_private_key()
        assert [tables.get(GM.public_bytes(private.public)) for _ in range(3)] == [None] * 3
        GM.verify(private.public, b"m", GM.sign(private, b"m"))
    finally:
        monkeypatch.undo()
        for cache_clear in forget:
            cache_clear()
    assert sm2_tables.available()
