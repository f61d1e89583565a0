"""SM2 verification with tables precomputed for the public key: over twice as fast
for a key that verifies again and again (a terminal's, every heartbeat), at 80 KB of
memory a key.

Verifying computes [s]G + [t]P (GB/T 32918.2-2016 §7.1, B5). OpenSSL's EVP path does
both in one interleaved wNAF, about 256 doublings each time. G is the curve's and P
the terminal's, and both stay the same from one request to the next, so each gets
OpenSSL's fixed-base precomputation (EC_GROUP_precompute_mult on a group whose
generator is that point: its multiples in 8-bit blocks). Each multiplication then
costs 8 doublings and about 60 additions. On this machine: 0.13 ms against 0.31
(docs/backend.md, "What a fleet costs"). Only public values take part, so the
variable-time arithmetic is what OpenSSL's own verification uses.

Which keys get a table: a key on its second verification (a key verified once, such
as a proof issuer's on a terminal, would pay two verifications' worth for nothing),
while fewer than `at_most` are kept (`keep`). When the tables are full, the one used
longest ago gives way to a new key only after IDLE_S unused. A fleet that outnumbers
the tables beats round them every minute, and evicting the least recently used one
for each new key would rebuild a table for every request (LRU's cyclic worst case).
Every other key verifies through EVP (wire/crypto/sm2.py), as does every key when this
OpenSSL lacks EC_GROUP_precompute_mult (deprecated in 3.0) or fails the known-answer
check below.
"""

from __future__ import annotations

import ctypes
import functools
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from ctypes import c_char_p, c_int, c_size_t, c_void_p

from cryptography.hazmat.primitives import hashes

from wire.crypto.errors import CryptoError
from wire.crypto.libcrypto import check, libcrypto, made
from wire.crypto.symmetric import Hashing

# The recommended curve's a, b and G (GB/T 32918.5-2017), hashed into Z_A (32918.2 §5.5)
_A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
IDLE_S = 600.0  # a table unused this long gives way (a terminal beats every minute)
AT_MOST = 10_000  # the default: one API process's share of a fleet, 800 MB at most

_p = c_void_p
_PROTOTYPES = {
    "EC_GROUP_precompute_mult": (c_int, _p, _p),  # deprecated in 3.0: may be absent
    "EC_GROUP_dup": (_p, _p),
    "EC_GROUP_get0_order": (_p, _p),
    "EC_GROUP_get0_cofactor": (_p, _p),
    "EC_GROUP_get0_generator": (_p, _p),
    "EC_GROUP_set_generator": (c_int, _p, _p, _p, _p),
    "EC_POINT_oct2point": (c_int, _p, _p, c_char_p, c_size_t, _p),
    "EC_POINT_add": (c_int, _p, _p, _p, _p, _p),
    "EC_POINT_is_at_infinity": (c_int, _p, _p),
    "EC_POINT_get_affine_coordinates": (c_int, _p, _p, _p, _p, _p),
    "BN_CTX_new": (_p,),
    "BN_CTX_free": (None, _p),
    "BN_new": (_p,),
    "BN_free": (None, _p),
}
_WHAT = "SM2 verification with a table failed"
_SM3 = Hashing("SM3", hashes.SM3)  # e and Z_A, as the gm suite hashes


class Table:
    """One public key's group (its generator the key's point, precomputed) and Z_A."""

    __slots__ = ("__weakref__", "generator", "group", "used_at", "z")

    def __init__(self, group: int, z: bytes) -> None:
        self.group = group
        self.generator = _library().EC_GROUP_get0_generator(group)
        self.z = z
        self.used_at = 0.0
        # freed with the last reference: a thread still verifying with an evicted table
        # holds one
        weakref.finalize(self, _library().EC_GROUP_free, group)


class Tables:
    """The kept tables, by the public key's bytes; safe to share between threads."""

    def __init__(self, at_most: int = AT_MOST, clock: Callable[[], float] = time.monotonic):
        self.at_most = at_most
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: OrderedDict[bytes, Table] = OrderedDict()  # least recently used first
        self._once: OrderedDict[bytes, None] = OrderedDict()  # verified once, no table yet
        self._making = 0  # tables being made

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, public: bytes) -> Table | None:
        """The key's table, made now if it is due one; None to verify through EVP."""
        now = self._clock()
        with self._lock:
            table = self._kept.get(public)
            if table is not None:
                self._kept.move_to_end(public)
                table.used_at = now
                return table
            if not self._due(public, now):
                return None
            self._making += 1  # its place taken while it is made, outside the lock
        try:
            table = _table(public)
            table.used_at = now
        except CryptoError:  # not this key's fault: EVP verifies it as before
            table = None
        with self._lock:
            self._making -= 1
            if table is None:
                return None
            return self._kept.setdefault(public, table)  # or another thread's: either will do

    def _due(self, public: bytes, now: float) -> bool:
        if self.at_most <= 0 or not available():
            return False
        if public not in self._once:
            self._once[public] = None
            while len(self._once) > self.at_most:
                self._once.popitem(last=False)
            return False
        if len(self._kept) + self._making >= self.at_most:
            oldest = next(iter(self._kept.values()), None)
            if oldest is None or now - oldest.used_at < IDLE_S:
                return False
            self._kept.popitem(last=False)
        del self._once[public]
        return True


_kept = Tables()


def tables() -> Tables:
    """The process's tables (wire/crypto/sm2.py verifies with them)."""
    return _kept


def keep(at_most: int) -> None:
    """Keep tables for at most `at_most` keys (0: none), starting afresh."""
    global _kept
    _kept = Tables(at_most)


def verified(table: Table, message: bytes, signature: bytes) -> bool:
    """GB/T 32918.2-2016 §7.1 B1–B7 for `signature` (r ‖ s) over `message`."""
    base = _base()
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    order = base.order
    if not (0 < r < order and 0 < s < order):  # B1, B2
        return False
    t = (r + s) % order  # B5
    if t == 0:
        return False
    e = int.from_bytes(_SM3.digest(table.z + message), "big")  # B3, B4
    lib, work = _library(), _scratch()
    lib.BN_bin2bn(signature[32:], 32, work.s)
    lib.BN_bin2bn(t.to_bytes(32, "big"), 32, work.t)
    # Each product with a point beside it times zero: given a lone scalar, OpenSSL
    # takes its constant-time ladder, made for secret scalars, and ignores the table.
    check(lib.EC_POINT_mul(base.group, work.sum, work.s, base.generator, work.zero,
                           work.context), CryptoError, _WHAT)  # fmt: skip
    check(lib.EC_POINT_mul(table.group, work.other, work.t, table.generator, work.zero,
                           work.context), CryptoError, _WHAT)  # fmt: skip
    check(lib.EC_POINT_add(base.group, work.sum, work.sum, work.other, work.context),
          CryptoError, _WHAT)  # fmt: skip
    if lib.EC_POINT_is_at_infinity(base.group, work.sum):  # B5
        return False
    check(lib.EC_POINT_get_affine_coordinates(base.group, work.sum, work.x, None, work.context),
          CryptoError, _WHAT)  # fmt: skip
    lib.BN_bn2binpad(work.x, work.out, 32)
    return (e + int.from_bytes(work.out.raw, "big")) % order == r  # B6, B7


@functools.cache
def available() -> bool:
    """This libcrypto has what the tables need, and they verify the standard's example
    signature (GB/T 32918.2-2016 Appendix A, as wire/crypto/sm2.py's tests do)."""
    try:
        table = _table(_EXAMPLE_KEY)
    except (AttributeError, CryptoError):
        return False
    return verified(table, _EXAMPLE_MESSAGE, _EXAMPLE_SIGNATURE)


@functools.cache
def _library() -> ctypes.CDLL:
    """libcrypto with this module's prototypes too; AttributeError if one is missing."""
    lib = libcrypto()
    for name, (result, *arguments) in _PROTOTYPES.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = result, arguments
    return lib


def _table(public: bytes) -> Table:
    lib, base, z = _library(), _base(), _z(public)
    group = made(lib.EC_GROUP_dup(base.group), CryptoError, _WHAT)
    point = None
    try:
        point = made(lib.EC_POINT_new(group), CryptoError, _WHAT)
        check(lib.EC_POINT_oct2point(group, point, public, len(public), None), CryptoError, _WHAT)
        # the curve has prime order n: every point but infinity generates all of it
        order, cofactor = lib.EC_GROUP_get0_order(group), lib.EC_GROUP_get0_cofactor(group)
        check(lib.EC_GROUP_set_generator(group, point, order, cofactor), CryptoError, _WHAT)
        check(lib.EC_GROUP_precompute_mult(group, None), CryptoError, _WHAT)
    except BaseException:
        lib.EC_GROUP_free(group)
        raise
    finally:
        lib.EC_POINT_free(point)
    return Table(group, z)


class _Base:
    """The curve's group with G precomputed, made once and kept for the process."""

    def __init__(self) -> None:
        from wire.crypto.sm2 import ORDER, _curve

        lib = _library()
        self.order = ORDER
        self.group = made(lib.EC_GROUP_new_by_curve_name(_curve()), CryptoError, _WHAT)
        check(lib.EC_GROUP_precompute_mult(self.group, None), CryptoError, _WHAT)
        self.generator = lib.EC_GROUP_get0_generator(self.group)


@functools.cache
def _base() -> _Base:
    return _Base()


class _Scratch:
    """One thread's numbers and points for `verified`, freed when the thread ends."""

    def __init__(self) -> None:
        lib, group = _library(), _base().group
        self.context = made(lib.BN_CTX_new(), CryptoError, _WHAT)
        self.s, self.t, self.x, self.zero = (made(lib.BN_new(), CryptoError, _WHAT)
                                             for _ in range(4))  # fmt: skip
        self.sum = made(lib.EC_POINT_new(group), CryptoError, _WHAT)
        self.other = made(lib.EC_POINT_new(group), CryptoError, _WHAT)
        self.out = ctypes.create_string_buffer(32)
        numbers, points = (self.s, self.t, self.x, self.zero), (self.sum, self.other)
        weakref.finalize(self, _free, self.context, numbers, points)


def _free(context: int, numbers: tuple[int, ...], points: tuple[int, ...]) -> None:
    lib = _library()
    for number in numbers:
        lib.BN_free(number)
    for point in points:
        lib.EC_POINT_free(point)
    lib.BN_CTX_free(context)


_local = threading.local()


def _scratch() -> _Scratch:
    work: _Scratch | None = getattr(_local, "work", None)
    if work is None:
        work = _local.work = _Scratch()
    return work


def _z(public: bytes) -> bytes:
    """Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2-2016 §5.5)."""
    from wire.crypto.sm2 import USER_ID

    curve = b"".join(n.to_bytes(32, "big") for n in (_A, _B, _GX, _GY))
    return _SM3.digest((len(USER_ID) * 8).to_bytes(2, "big") + USER_ID + curve + public[1:])


# GB/T 32918.2-2016 Appendix A (the example on the recommended curve, also in
# tests/unit/wire/test_crypto.py): its public key, message and signature
_EXAMPLE_KEY = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
_EXAMPLE_MESSAGE = b"message digest"
_EXAMPLE_SIGNATURE = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)
