"""wire.crypto: the standards' own test vectors, interoperability with the openssl
command line for SM2, and the same behaviour from both suites: round trips, and
every change (message, signature, ciphertext, nonce, tag, aad, key) refused."""

from __future__ import annotations

import base64
import ctypes
import hashlib
import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from wire import crypto
from wire.crypto import libcrypto, sm2, symmetric

H = bytes.fromhex
GM, INTL = crypto.suite("gm"), crypto.suite("intl")
BOTH = pytest.mark.parametrize("name", crypto.NAMES)

# -- GB/T 32905-2016 (SM3), Annex A -------------------------------------------------------
SM3_ABC = H("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
SM3_ABCD_16 = H("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")

# -- GB/T 32907-2016 (SM4), Annex A: the key is also the plaintext ------------------------
SM4_KEY = H("0123456789abcdeffedcba9876543210")
SM4_ONCE = H("681edf34d206965e86b3e94f536e4246")
SM4_MILLION = H("595298c7c6fd271f0402f804c33d3f66")  # encrypted 1,000,000 times

# -- RFC 8998 Appendix A.1: SM4-GCM (key as above) ----------------------------------------
GCM_IV = H("00001234567800000000ABCD")
GCM_AAD = H("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
GCM_PLAIN = H(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
GCM_CIPHER = H(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
GCM_TAG = H("83DE3541E4C2B58177E065A9BF7B62EC")

# -- GB/T 32918.5-2017 (GM/T 0003.5) example: recommended curve, ID 1234567812345678 ------
SM2_D = H("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
SM2_PUBLIC = H(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
SM2_MESSAGE = b"message digest"
SM2_SIGNATURE = H(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"  # r
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"  # s
)

# -- the intl suite's own standards --------------------------------------------------------
SHA256_ABC = H("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")  # FIPS 180-2
HMAC_SHA256_RFC4231_1 = H("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
AES_GCM_16 = SimpleNamespace(  # McGrew & Viega, "The GCM mode", test case 16 (AES-256)
    key=H("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"),
    iv=H("cafebabefacedbaddecaf888"),
    plain=H(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
    ),
    aad=H("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
    cipher=H(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
    ),
    tag=H("76fc6ece0f4e1768cddf8853bb2d551b"),
)
ED25519_RFC8032_1 = SimpleNamespace(  # RFC 8032 §7.1, TEST 1 (the empty message)
    secret=H("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
    public=H("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    signature=H(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
        "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    ),
)

# SubjectPublicKeyInfo of an SM2 key without its point: id-ecPublicKey, curve SM2
# (1.2.156.10197.1.301), then the BIT STRING's header (RFC 5480 §2; GM/T 0010).
SPKI_HEAD = H("3059301306072a8648ce3d020106082a811ccf5501822d034200")


def flip(data: bytes, bit: int) -> bytes:
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


# == the standards' vectors ================================================================


def test_sm3_gb_t_32905_vectors():
    assert GM.digest(b"abc") == SM3_ABC
    assert GM.digest(b"abcd" * 16) == SM3_ABCD_16  # 512 bits: two blocks once padded
    assert GM.digest_name == "SM3"


def test_sm4_gb_t_32907_single_block():
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert encryptor.update(SM4_KEY) == SM4_ONCE


def test_sm4_gb_t_32907_one_million_encryptions():
    encrypt = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor().update
    block = SM4_KEY
    for _ in range(1_000_000):
        block = encrypt(block)
    assert block == SM4_MILLION


def test_sm4_gcm_stays_available_in_cryptography():
    """No SM4GCM class exists; the generic Cipher runs it. A wheel built without it
    would otherwise break the gm suite's storage silently, at run time."""
    assert backend.cipher_supported(algorithms.SM4(SM4_KEY), modes.GCM(GCM_IV))
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.GCM(GCM_IV)).encryptor()
    encryptor.authenticate_additional_data(GCM_AAD)
    assert encryptor.update(GCM_PLAIN) + encryptor.finalize() == GCM_CIPHER
    assert encryptor.tag == GCM_TAG


def test_rfc_8998_sm4_gcm_vector_opens_and_seals_in_the_module(monkeypatch):
    sealed = GCM_IV + GCM_CIPHER + GCM_TAG  # the module's layout: nonce ‖ ciphertext ‖ tag
    assert GM.open(SM4_KEY, sealed, GCM_AAD) == GCM_PLAIN
    monkeypatch.setattr(symmetric, "secrets", SimpleNamespace(token_bytes=lambda n: GCM_IV))
    assert GM.seal(SM4_KEY, GCM_PLAIN, GCM_AAD) == sealed


def test_gb_t_32918_sm2_example_signature_verifies():
    """The standard's r, s over e = SM3(Z_A ‖ M): it verifies only if Z_A is computed
    as GB/T 32918.2 §5.5 says, with the ID 1234567812345678."""
    public = GM.load_public_bytes(SM2_PUBLIC)
    GM.verify(public, SM2_MESSAGE, SM2_SIGNATURE)
    with pytest.raises(crypto.BadSignature):
        GM.verify(public, b"message digesT", SM2_SIGNATURE)
    with pytest.raises(crypto.BadSignature):
        GM.verify(public, SM2_MESSAGE, flip(SM2_SIGNATURE, 7))


def test_gb_t_32918_sm2_example_private_key_gives_its_public_key_and_signs():
    private = GM.load_private_bytes(SM2_D)
    assert GM.public_bytes(private.public) == SM2_PUBLIC
    assert GM.private_bytes(private) == SM2_D
    signature = GM.sign(private, SM2_MESSAGE)  # k is random: not the standard's r, s
    assert signature != SM2_SIGNATURE and len(signature) == 64
    GM.verify(GM.load_public_bytes(SM2_PUBLIC), SM2_MESSAGE, signature)


def test_hmac_sm3_is_rfc_2104_over_sm3():
    """No standard publishes HMAC-SM3 vectors: the oracle is HMAC written from its
    definition over hashlib's SM3, for keys shorter than, equal to and longer than
    SM3's 64-byte block (a longer one is hashed first)."""
    sm3 = hashlib.new("sm3")
    assert sm3.digest_size == 32 and sm3.block_size == 64

    def hmac_sm3(key: bytes, data: bytes) -> bytes:
        if len(key) > 64:
            key = hashlib.new("sm3", key).digest()
        key = key.ljust(64, b"\0")
        inner = hashlib.new("sm3", bytes(b ^ 0x36 for b in key) + data).digest()
        return hashlib.new("sm3", bytes(b ^ 0x5C for b in key) + inner).digest()

    rng = random.Random(32905)
    for key_size in (16, 20, 32, 63, 64, 65, 100, 131):
        for size in (0, 1, 55, 56, 64, 1000):
            key, data = rng.randbytes(key_size), rng.randbytes(size)
            assert GM.mac(key, data) == hmac_sm3(key, data)
    assert GM.mac_name == "HMAC-SM3"


def test_intl_vectors_sha256_hmac_aes_gcm_ed25519():
    assert INTL.digest(b"abc") == SHA256_ABC
    assert INTL.mac(b"\x0b" * 20, b"Hi There") == HMAC_SHA256_RFC4231_1
    v = AES_GCM_16
    assert INTL.open(v.key, v.iv + v.cipher + v.tag, v.aad) == v.plain
    e = ED25519_RFC8032_1
    private = INTL.load_private_bytes(e.secret)
    assert INTL.public_bytes(private.public) == e.public
    assert INTL.sign(private, b"") == e.signature  # Ed25519 is deterministic
    INTL.verify(INTL.load_public_bytes(e.public), b"", e.signature)


# == SM2 with the openssl command line =====================================================

# The oracle: OpenSSL's own command line (`openssl` in packaging/apt-packages.txt, which
# `make test` installs): always there, so these tests never skip.


def openssl(*arguments: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *map(str, arguments)], capture_output=True, timeout=30)


def public_pem(path: Path, point: bytes) -> Path:
    body = base64.encodebytes(SPKI_HEAD + point).decode()
    path.write_text(f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n")
    return path


def openssl_verifies(folder: Path, point: bytes, message: bytes, raw: bytes, user_id: str) -> bool:
    (folder / "message").write_bytes(message)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    (folder / "signature").write_bytes(der)
    done = openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", public_pem(folder / "public.pem", point),
        "-rawin", "-digest", "sm3", "-pkeyopt", f"distid:{user_id}",
        "-in", folder / "message", "-sigfile", folder / "signature",
    )  # fmt: skip
    return done.returncode == 0


def test_openssl_verifies_the_module_s_sm2_signatures(tmp_path):
    private = GM.generate_private_key()
    point = GM.public_bytes(private.public)
    for message in (b"", b"message digest", bytes(range(256)) * 9):
        signature = GM.sign(private, message)
        assert openssl_verifies(tmp_path, point, message, signature, "1234567812345678")
        # the ID is part of what is signed: under another one it is not the same signature
        assert not openssl_verifies(tmp_path, point, message, signature, "ALICE123@YAHOO.COM")
        assert not openssl_verifies(tmp_path, point, message + b"!", signature, "1234567812345678")


def test_the_module_verifies_openssl_s_sm2_signatures_and_reads_its_key(tmp_path):
    key, message = tmp_path / "key.pem", tmp_path / "message"
    message.write_bytes("办理居住证 2 KiB ".encode() * 100)
    assert openssl("genpkey", "-algorithm", "SM2", "-out", key).returncode == 0
    signed = openssl(
        "pkeyutl", "-sign", "-inkey", key, "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-in", message,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    spki = openssl("pkey", "-in", key, "-pubout", "-outform", "DER").stdout
    assert spki.startswith(SPKI_HEAD)
    public = GM.load_public_bytes(spki[len(SPKI_HEAD) :])
    r, s = decode_dss_signature(signed.stdout)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    GM.verify(public, message.read_bytes(), signature)
    with pytest.raises(crypto.BadSignature):
        GM.verify(public, message.read_bytes()[1:], signature)
    # its private scalar, read back: the module derives the same public key from it
    text = openssl("pkey", "-in", key, "-noout", "-text").stdout.decode()
    digits = "".join(text.split("priv:")[1].split("pub:")[0].split()).replace(":", "")
    private = GM.load_private_bytes(int(digits, 16).to_bytes(32, "big"))  # printed with 00 ahead
    assert private.public == public


# == both suites ===========================================================================


@BOTH
def test_sign_and_verify_round_trip_and_each_signature_bit_matters(name):
    s = crypto.suite(name)
    private = s.generate_private_key()
    message = b"KS1\nPOST\n/v1/records\n" + bytes(64)
    signature = s.sign(private, message)
    assert len(signature) == s.signature_bytes == 64
    s.verify(private.public, message, signature)
    for bit in range(8 * len(signature)):
        with pytest.raises(crypto.BadSignature):
            s.verify(private.public, message, flip(signature, bit))
    for bit in range(0, 8 * len(message), 7):
        with pytest.raises(crypto.BadSignature):
            s.verify(private.public, flip(message, bit), signature)


@BOTH
def test_another_key_a_cut_signature_or_a_key_of_the_other_suite_is_refused(name):
    s = crypto.suite(name)
    other = crypto.suite("intl" if name == "gm" else "gm")
    private, stranger = s.generate_private_key(), s.generate_private_key()
    signature = s.sign(private, b"hello")
    with pytest.raises(crypto.BadSignature):
        s.verify(stranger.public, b"hello", signature)
    for cut in (b"", signature[:63], signature + b"\0"):
        with pytest.raises(crypto.BadSignature, match="a signature is 64 bytes"):
            s.verify(private.public, b"hello", cut)
    foreign = other.generate_private_key()
    with pytest.raises(crypto.BadKey):
        s.sign(foreign, b"hello")
    with pytest.raises(crypto.BadKey, match="not a PublicKey"):
        s.verify(private, b"hello", signature)  # type: ignore[arg-type]
    with pytest.raises(crypto.BadKey, match="not a PrivateKey"):
        s.sign(private.public, b"hello")  # type: ignore[arg-type]
    with pytest.raises(crypto.BadKey):
        s.verify(foreign.public, b"hello", signature)
    with pytest.raises(crypto.BadKey):
        s.dump_public(foreign.public)


@BOTH
def test_seal_and_open_round_trip_and_every_change_is_refused(name):
    s = crypto.suite(name)
    key = s.new_aead_key()
    assert len(key) == s.aead_key_bytes == {"gm": 16, "intl": 32}[name]
    plaintext, aad = "钱多多 11010519491231002X".encode(), b"outbox record 42"
    sealed = s.seal(key, plaintext, aad)
    assert len(sealed) == 12 + len(plaintext) + 16
    assert s.open(key, sealed, aad) == plaintext
    assert s.seal(key, plaintext, aad) != sealed  # a fresh nonce every time
    for bit in range(8 * len(sealed)):  # the nonce, the ciphertext and the tag
        with pytest.raises(crypto.BadSeal):
            s.open(key, flip(sealed, bit), aad)
    for wrong_aad in (b"", b"outbox record 43", aad + b"\0"):
        with pytest.raises(crypto.BadSeal):
            s.open(key, sealed, wrong_aad)
    with pytest.raises(crypto.BadSeal):
        s.open(s.new_aead_key(), sealed, aad)
    for cut in (sealed[:-1], sealed[:27], b""):
        with pytest.raises(crypto.BadSeal):
            s.open(key, cut, aad)
    with pytest.raises(crypto.BadKey):
        s.seal(key + b"\0", plaintext, aad)


@BOTH
def test_digest_and_mac(name):
    s = crypto.suite(name)
    assert len(s.digest(b"")) == s.digest_bytes == 32
    key = s.new_mac_key()
    tag = s.mac(key, b"110105194912310021")
    assert len(tag) == 32 and s.mac_matches(key, b"110105194912310021", tag)
    assert not s.mac_matches(key, b"110105194912310022", tag)
    assert not s.mac_matches(key, b"110105194912310021", flip(tag, 255))
    assert not s.mac_matches(key, b"110105194912310021", tag[:16])
    assert not s.mac_matches(s.new_mac_key(), b"110105194912310021", tag)
    with pytest.raises(crypto.BadKey):
        s.mac(b"k" * 15, b"too short a key")


def test_the_suites_differ():
    assert GM.digest(b"abc") != INTL.digest(b"abc")
    assert GM.mac(b"k" * 32, b"abc") != INTL.mac(b"k" * 32, b"abc")
    names = {s: (s.digest_name, s.mac_name, s.aead_name, s.signature_name) for s in (GM, INTL)}
    assert names[GM] == ("SM3", "HMAC-SM3", "SM4-GCM", "SM2 with SM3, user ID 1234567812345678")
    assert names[INTL] == ("SHA-256", "HMAC-SHA-256", "AES-256-GCM", "Ed25519")


@BOTH
def test_key_text_and_bytes_forms_round_trip(name):
    s = crypto.suite(name)
    private = s.generate_private_key()
    text = s.dump_private(private)
    again = s.load_private(text)
    assert again.public == private.public and s.dump_private(again) == text
    assert text not in repr(private) and text not in repr(again)
    public = s.load_public(s.dump_public(private.public))
    assert public == private.public and hash(public) == hash(private.public)
    assert s.load_public_bytes(s.public_bytes(public)) == public
    s.verify(public, b"rotated", s.sign(again, b"rotated"))
    for bad in ("", "not base64!", s.dump_public(public)[:-2]):
        with pytest.raises(crypto.BadKey):
            s.load_public(bad)
    for bad in ("", "not base64!", text[:-2]):
        with pytest.raises(crypto.BadKey):
            s.load_private(bad)


@BOTH
def test_hundreds_of_random_messages(name):
    s = crypto.suite(name)
    rng = random.Random(f"issue 25 {name}")
    private, key = s.generate_private_key(), s.new_aead_key()
    for _ in range(300):
        message = rng.randbytes(rng.choice((0, 1, 31, 32, 33, 200, 2048, rng.randrange(5000))))
        aad = rng.randbytes(rng.randrange(40))
        signature = s.sign(private, message)
        s.verify(private.public, message, signature)
        assert s.open(key, s.seal(key, message, aad), aad) == message
        if message:
            with pytest.raises(crypto.BadSignature):
                s.verify(private.public, flip(message, rng.randrange(8 * len(message))), signature)


@BOTH
def test_threads_sign_and_verify_with_one_key_at_once(name):
    """The backend verifies in a thread pool, and ctypes lets go of the GIL in OpenSSL."""
    s = crypto.suite(name)
    private = s.generate_private_key()

    def work(number: int) -> int:
        for i in range(100):
            message = f"{number}/{i}".encode()
            s.verify(private.public, message, s.sign(private, message))
        return number

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(work, range(8))) == list(range(8))


# == the suite names ======================================================================


def test_a_suite_is_found_by_its_marker_and_nothing_else():
    for name in crypto.NAMES:
        assert crypto.suite(name).name == name and crypto.suite(crypto.suite(name).name) is (
            crypto.suite(name)
        )
    assert crypto.DEFAULT == (os.environ.get("KIOSK_CRYPTO_DEFAULT") or "gm")
    for wrong in ("GM", "sm2", "", "intl "):
        with pytest.raises(crypto.UnknownSuite, match="gm, intl"):
            crypto.suite(wrong)


# == SM2's edges and OpenSSL's objects ======================================================

ORDER = sm2.ORDER


@pytest.mark.parametrize("scalar", [0, ORDER - 1, ORDER, 2**256 - 1])
def test_sm2_private_key_out_of_range_is_refused(scalar):
    """d is in [1, n-2] (GB/T 32918.1-2016 §6.1)."""
    with pytest.raises(crypto.BadKey):
        GM.load_private_bytes(scalar.to_bytes(32, "big"))


def test_sm2_private_key_at_the_ends_of_its_range_works():
    for scalar in (1, ORDER - 2):
        private = GM.load_private_bytes(scalar.to_bytes(32, "big"))
        GM.verify(private.public, b"edge", GM.sign(private, b"edge"))


def test_sm2_public_key_off_the_curve_or_not_uncompressed_is_refused():
    with pytest.raises(crypto.BadKey, match="point is not on curve"):  # OpenSSL's reason
        GM.load_public_bytes(flip(SM2_PUBLIC, 8 * 65 - 1))
    assert libcrypto.libcrypto().ERR_peek_last_error() == 0  # OpenSSL's queue left empty
    for bad in (flip(SM2_PUBLIC, 1), SM2_PUBLIC[1:], bytes(65)):  # 06 ‖ …, x ‖ y, zeros
        with pytest.raises(crypto.BadKey, match="04 ‖ x ‖ y"):
            GM.load_public_bytes(bad)
    with pytest.raises(crypto.BadKey):
        GM.load_public_bytes(flip(SM2_PUBLIC, 8 * 33))  # x changed: off the curve


def test_sm2_signature_outside_1_to_n_minus_1_is_refused():
    public = GM.load_public_bytes(SM2_PUBLIC)
    r, s = SM2_SIGNATURE[:32], SM2_SIGNATURE[32:]
    for bad in (bytes(32) + s, r + bytes(32), r + ORDER.to_bytes(32, "big"), b"\xff" * 64):
        with pytest.raises(crypto.BadSignature):
            GM.verify(public, SM2_MESSAGE, bad)
    assert libcrypto.libcrypto().ERR_peek_last_error() == 0


class _MallInfo2(ctypes.Structure):
    """glibc's struct mallinfo2 (malloc.h): what malloc has handed out, all threads."""

    _fields_ = [
        (field, ctypes.c_size_t)
        for field in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks "
        "keepcost".split()
    ]


def malloc_in_use() -> int:
    """The bytes malloc has handed out and not had back (OpenSSL takes its memory there)."""
    mallinfo2 = ctypes.CDLL(None).mallinfo2
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return int(info.uordblks + info.hblkhd)


def test_sm2_frees_what_openssl_allocates():
    """Each round makes every kind of OpenSSL object the module uses; OpenSSL takes its
    memory from malloc. Measured: with every free in place, 500 rounds leave malloc
    exactly where it was; leaving out one number's free leaves 40,000 bytes."""

    def rounds(count: int) -> None:
        for _ in range(count):
            private = GM.load_private_bytes(SM2_D)
            GM.private_bytes(private)
            GM.verify(GM.load_public_bytes(SM2_PUBLIC), b"m", GM.sign(private, b"m"))
            GM.generate_private_key()

    rounds(200)
    before = malloc_in_use()
    rounds(500)
    assert malloc_in_use() - before < 8192


def test_no_libcrypto_is_one_clear_error(monkeypatch):
    libcrypto.libcrypto.cache_clear()
    monkeypatch.setattr(libcrypto.ctypes.util, "find_library", lambda name: None)
    try:
        with pytest.raises(crypto.CryptoUnavailable, match=r"libcrypto\.so\.3 \(Debian: libssl3\)"):
            GM.generate_private_key()
        assert INTL.sign(INTL.generate_private_key(), b"intl needs no OpenSSL 3")
    finally:
        libcrypto.libcrypto.cache_clear()


# == a public key's text ===================================================================


@pytest.mark.parametrize("suite", [GM, INTL])
def test_a_public_key_s_text_says_its_suite(suite):
    public = suite.generate_private_key().public
    text = crypto.public_key_text(public)
    assert text == (
        suite.dump_public(public) if suite is INTL else "gm:" + suite.dump_public(public)
    )
    assert len(text) <= crypto.PUBLIC_KEY_TEXT_MAX
    assert crypto.load_public_key_text(text) == (suite, public)
    assert crypto.load_public_key_text(f"{suite.name}:{suite.dump_public(public)}")[1] == public
    raw = suite.dump_public(public)
    other = "intl:" if suite is GM else "gm:"
    for bad in ("", "sm9:" + raw, other + raw, suite.name + ":%%%"):
        with pytest.raises(crypto.BadKey):
            crypto.load_public_key_text(bad)
