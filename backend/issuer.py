"""The issuer's keys: the key that signs proofs (wire/proof.py), in the deployment's
crypto suite, and an HMAC key for holders' ID numbers. One file, readable by the
backend's user only (0600 in a 0700 folder), made on first start. Unlike the database
(backend/storage.py), a key file found open to others is refused, not tightened: its
keys must be presumed copied.

    {"key_id": "issuer-2", "suite": "gm", "private": "<hex>", "hmac": "<hex>",
     "published": {"issuer-1": "<public key text>"}}

A file without "suite" is intl (Ed25519), as made before the suites. A rotation, or a
deployment whose suite is not the current key's (`serve --crypto-suite`), adds a key
(issuer-N) and keeps only the public half of the one it replaces, under "published":
still sent to terminals and still checked by /v1/proofs/verify, so every proof
printed before verifies until it expires.

The HMAC key is one for the life of the file, across rotations and suites: `h` is a
pseudonym only the backend compares (the yearly count of a person's proofs), never
checked by anyone else, so a new one per signing key would only split one person's
proofs into strangers'. The MAC follows the signing key's suite (HMAC-SM3 in gm).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from backend.storage import file_stamp, key_file_locked, private_dir, write_key_file
from wire import crypto
from wire import proof as kp

ISSUER_FILE = "issuer.json"  # in the backend's data folder


@dataclass(frozen=True)
class Issuer:
    key_id: str
    signing_key: crypto.PrivateKey
    hmac_key: bytes
    # key id -> public key text of the keys this one replaced: proofs they signed verify
    published: Mapping[str, str] = field(default_factory=dict)

    @property
    def suite(self) -> crypto.Suite:
        return crypto.suite(self.signing_key.suite)

    @property
    def public_keys(self) -> dict[str, str]:
        """Every key a proof of ours may name: the current one and those it replaced."""
        return {**self.published, self.key_id: kp.public_key_text(self.signing_key.public)}

    def holder_hmac(self, id_number: str) -> str:
        """`h` of a proof signed now."""
        return kp.id_number_hmac(self.hmac_key, id_number, self.suite)

    def holder_hmacs(self, id_number: str) -> set[str]:
        """`h` in every suite a proof of ours may be in: one person's proofs from
        before and after a suite switch."""
        suites = {kp.public_key_from_text(text).suite for text in self.public_keys.values()}
        return {kp.id_number_hmac(self.hmac_key, id_number, crypto.suite(s)) for s in suites}


class IssuerFile:
    """The issuer key file as a running backend sees it: read again when it changed
    on disk (`kiosk-backend keys rotate-issuer`, or another API process that added a
    key), so that every process signs with the key the file names and publishes
    every key of it."""

    def __init__(self, path: Path, suite: str | None = None) -> None:
        self.path = path
        self._issuer = load_issuer(path, suite)
        self._stamp = file_stamp(path)

    def current(self) -> Issuer:
        stamp = file_stamp(self.path)
        if stamp != self._stamp:
            self._issuer, self._stamp = _read(self.path), stamp
        return self._issuer


def load_issuer(path: Path, suite: str | None = None) -> Issuer:
    """The issuer of the key file at `path`, made in `suite` (else the default) if there
    is none. Given a `suite` other than the current key's, a key of that suite is added
    first (rotate_issuer): a deployment switching suites signs new proofs in it."""
    with _locked(path):
        if not path.exists():
            name = crypto.suite(suite or crypto.DEFAULT).name
            key = crypto.suite(name).generate_private_key()
            _write(path, Issuer("issuer-1", key, secrets.token_bytes(32)))
        issuer = _read(path)
        if suite is not None and crypto.suite(suite).name != issuer.signing_key.suite:
            issuer = _rotate(path, issuer, suite)
    return issuer


def rotate_issuer(path: Path, suite: str | None = None) -> Issuer:
    """A new current signing key (issuer-N), in `suite` or the current key's; the one
    it replaces stays published. A running backend signs with it, and publishes it,
    from its next request (IssuerFile)."""
    with _locked(path):
        issuer = _read(path)
        return _rotate(path, issuer, suite or issuer.signing_key.suite)


def _rotate(path: Path, issuer: Issuer, suite: str) -> Issuer:
    numbers = [int(m.group(1)) for k in issuer.public_keys if (m := re.search(r"(\d+)$", k))]
    key_id = f"issuer-{max(numbers, default=0) + 1}"
    new = Issuer(key_id, crypto.suite(suite).generate_private_key(), issuer.hmac_key,
                 issuer.public_keys)  # fmt: skip
    _write(path, new)
    return new


def _read(path: Path) -> Issuer:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ValueError(f"{path}: readable by others (mode {mode:04o}); chmod 600 it, and "
                         "make new keys if others may have copied it")  # fmt: skip
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        suite = crypto.suite(data.get("suite", "intl"))  # none: a file from before the suites
        published = {str(k): str(v) for k, v in data.get("published", {}).items()}
        for text in published.values():
            kp.public_key_from_text(text)  # a damaged one fails here, not at every verify
        return Issuer(
            str(data["key_id"]),
            suite.load_private_bytes(bytes.fromhex(data["private"])),
            bytes.fromhex(data["hmac"]),
            published,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not an issuer key file: {exc}") from None


def _write(path: Path, issuer: Issuer) -> None:
    """The key file written whole or not at all: a temporary file made 0600, synced,
    then moved into place."""
    private_dir(path.parent)
    body = {
        "key_id": issuer.key_id,
        "suite": issuer.suite.name,
        "private": issuer.suite.private_bytes(issuer.signing_key).hex(),
        "hmac": issuer.hmac_key.hex(),
        "published": dict(issuer.published),
    }
    write_key_file(path, body)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time makes or rotates the file: two at once would each sign
    with a key the other never publishes."""
    private_dir(path.parent)
    with key_file_locked(path):
        yield
