"""Basic Access Control and secure messaging (ICAO 9303 part 11, 3DES): key
derivation from the MRZ, the terminal's side of mutual authentication, session
keys, and wrapping and unwrapping APDUs. Checked value by value against the
worked example of part 11 (tests/unit/drivers/test_icao.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# TripleDES lives in "decrepit" since cryptography 43: BAC is old, and that is the point.
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

ENC, MAC = 1, 2


class SecureMessagingError(ValueError):
    """A response whose MAC does not match, or that is not secure-messaging data."""


def _parity(key: bytes) -> bytes:
    return bytes((b & 0xFE) | (bin(b & 0xFE).count("1") % 2 == 0) for b in key)


def derive(seed: bytes, counter: int) -> bytes:
    return _parity(hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16])


def bac_keys(key_info: str) -> tuple[bytes, bytes]:
    """K_enc and K_mac from the MRZ information."""
    seed = hashlib.sha1(key_info.encode("ascii")).digest()[:16]
    return derive(seed, ENC), derive(seed, MAC)


def triple_des(key: bytes, data: bytes, decrypt: bool = False) -> bytes:
    cipher = Cipher(TripleDES(key + key[:8]), modes.CBC(bytes(8)))
    worker = cipher.decryptor() if decrypt else cipher.encryptor()
    return worker.update(data) + worker.finalize()


def _des(key: bytes, block: bytes, decrypt: bool = False) -> bytes:
    cipher = Cipher(TripleDES(key * 3), modes.ECB())
    worker = cipher.decryptor() if decrypt else cipher.encryptor()
    return worker.update(block) + worker.finalize()


def pad(data: bytes) -> bytes:
    """ISO 9797-1 padding method 2."""
    data += b"\x80"
    return data + bytes(-len(data) % 8)


def unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise SecureMessagingError("bad padding")
    return end[:-1]


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3 (single DES chain, 3DES last block), padded."""
    state = bytes(8)
    padded = pad(data)
    for i in range(0, len(padded), 8):
        state = _des(key[:8], bytes(a ^ b for a, b in zip(state, padded[i : i + 8], strict=True)))
    return _des(key[:8], _des(key[8:16], state, decrypt=True))


@dataclass(frozen=True)
class Challenge:
    """What the terminal sends in EXTERNAL AUTHENTICATE, and what it must remember."""

    command_data: bytes  # E.IFD || M.IFD
    rnd_ifd: bytes
    k_ifd: bytes


def authenticate(
    k_enc: bytes, k_mac: bytes, rnd_ic: bytes, rnd_ifd: bytes, k_ifd: bytes
) -> Challenge:
    e_ifd = triple_des(k_enc, rnd_ifd + rnd_ic + k_ifd)
    return Challenge(e_ifd + retail_mac(k_mac, e_ifd), rnd_ifd, k_ifd)


@dataclass
class Session:
    ks_enc: bytes
    ks_mac: bytes
    ssc: bytes


def session(
    k_enc: bytes, k_mac: bytes, challenge: Challenge, response: bytes, rnd_ic: bytes
) -> Session:
    """Check the chip's answer and derive the session keys."""
    e_ic, m_ic = response[:32], response[32:40]
    if retail_mac(k_mac, e_ic) != m_ic:
        raise SecureMessagingError("the chip's authentication MAC does not match")
    plain = triple_des(k_enc, e_ic, decrypt=True)
    if plain[0:8] != rnd_ic or plain[8:16] != challenge.rnd_ifd:
        raise SecureMessagingError("the chip answered another challenge")
    k_ic = plain[16:32]
    seed = bytes(a ^ b for a, b in zip(challenge.k_ifd, k_ic, strict=True))
    return Session(derive(seed, ENC), derive(seed, MAC), rnd_ic[4:8] + challenge.rnd_ifd[4:8])


def increment(ssc: bytes) -> bytes:
    return ((int.from_bytes(ssc, "big") + 1) % (1 << 64)).to_bytes(8, "big")


def wrap(s: Session, header: bytes, data: bytes = b"", le: int | None = None) -> bytes:
    """A protected command APDU (`header` = CLA INS P1 P2, CLA gets 0x0C)."""
    s.ssc = increment(s.ssc)
    masked = bytes([0x0C]) + header[1:4]
    objects = b""
    if data:
        encrypted = b"\x01" + triple_des(s.ks_enc, pad(data))
        objects += b"\x87" + ber_length(encrypted) + encrypted
    if le is not None:
        objects += b"\x97\x01" + bytes([le])
    mac = retail_mac(s.ks_mac, s.ssc + pad(masked) + objects)
    objects += b"\x8e\x08" + mac
    return masked + bytes([len(objects)]) + objects + b"\x00"


def unwrap(s: Session, response: bytes) -> tuple[bytes, bytes]:
    """The plain data and status word of a protected response; its MAC is checked."""
    s.ssc = increment(s.ssc)
    body, sw = response[:-2], response[-2:]
    at, encrypted, mac_input, mac = 0, None, b"", None
    while at < len(body):
        tag = body[at]
        length, size = read_length(body, at + 1)
        end = at + 1 + size + length
        value = body[at + 1 + size : end]
        if tag in (0x87, 0x99):
            mac_input += body[at:end]
            if tag == 0x87:
                encrypted = value
        elif tag == 0x8E:
            mac = value
        else:
            raise SecureMessagingError(f"unexpected tag {tag:#04x}")
        at = end
    # The MAC first: nothing is decrypted from a response that was not the chip's.
    if mac is None or retail_mac(s.ks_mac, s.ssc + mac_input) != mac:
        raise SecureMessagingError("the response's MAC does not match")
    if encrypted is None:
        return b"", sw
    if len(encrypted) < 9 or (len(encrypted) - 1) % 8 or encrypted[0] != 0x01:
        raise SecureMessagingError("the encrypted data object is malformed")
    return unpad(triple_des(s.ks_enc, encrypted[1:], decrypt=True)), sw


def read_length(data: bytes, at: int) -> tuple[int, int]:
    """A BER length at `at`: (the length, how many bytes it took)."""
    if at >= len(data):
        raise SecureMessagingError("truncated response")
    first = data[at]
    if first < 0x80:
        return first, 1
    count = first & 0x7F
    if count not in (1, 2) or at + count >= len(data):
        raise SecureMessagingError("bad length in the response")
    return int.from_bytes(data[at + 1 : at + 1 + count], "big"), 1 + count


def ber_length(value: bytes) -> bytes:
    if len(value) < 0x80:
        return bytes([len(value)])
    return (
        b"\x81" + bytes([len(value)])
        if len(value) < 0x100
        else b"\x82" + len(value).to_bytes(2, "big")
    )
