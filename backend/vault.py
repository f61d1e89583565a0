"""Personal fields encrypted at rest (envelope encryption), and keyed hashes that find
them again without decrypting anything.

The keys are in one file outside the database, DATA/keys/personal.json, readable by
the backend's user only: made 0600 on first start, refused when group or others may
read it.

    {"format": "kiosk-vault/1", "current": 2,
     "master_keys": {"1": "<64 hex digits>", "2": "<64 hex digits>"},
     "index_key": "<64 hex digits>"}

- A record's personal fields (PERSONAL_FIELDS, the one list) leave its body and are
  sealed together under a data key of their own (AES-256-GCM, the record's
  idempotency key as associated data: a sealed value moved to another row does not
  open). The body keeps the rest in clear, for the readers that need no one's data
  (the console's service counts, the gateway's reconciliation).
- The data key is wrapped by the current master key (AES-256-GCM) and stored beside
  the data, prefixed with that master key's version.
- Rotation (`kiosk-backend keys rotate`) adds a master key and rewraps the data keys;
  the data is never encrypted again, and old master keys stay (a backup restored
  from last year still opens).
- The index key makes keyed hashes (HMAC-SHA-256): a photo's ID number is matched
  by its hash, and a record's idempotency hash covers ID numbers without being a way
  to try guesses of them. It is not rotated: every stored hash would change.

Every algorithm used on personal data is named in this file and nowhere else, so that
moving them behind one crypto module (issue #25) is a change to this file only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger("kiosk.backend.vault")

FORMAT = "kiosk-vault/1"
KEY_FILE = Path("keys") / "personal.json"  # under the backend's data directory
KEY_BYTES = 32  # AES-256, and the HMAC key
NONCE_BYTES = 12  # AES-GCM's standard nonce, random for every encryption

# The fields of a record's body that say who a citizen is, or hold their image or a
# credential: sealed, whatever the record's kind. Matched by name at the top level
# of the body (the wire bodies, wire/sync.py BODIES, are flat). Nothing a reader
# needs in clear is here: service, receipt, transaction, stars, out_trade_no, state,
# amount_fen, method, photo_receipt, document.
PERSONAL_FIELDS = frozenset({
    # who: the ID card's face (kiosk/step_services.py IDENTITY_FIELDS), or typed
    "id_number", "typed_id_number", "name", "typed_name", "sex", "nation", "birth_date",
    "address", "valid_from", "valid_until",
    # how to reach them
    "phone", "email",
    # other documents that name one person
    "permit_number", "passport_number",
    # images and biometrics
    "jpeg_base64", "photo_base64", "fingerprints", "templates",
    # a payment code: a bearer credential for a minute, and an account's name
    "auth_code",
})  # fmt: skip


class VaultError(ValueError):
    """A key file that cannot be used, or a sealed value that does not open."""


@dataclass(frozen=True)
class Sealed:
    """A record's personal fields, sealed: what the database holds."""

    key: str  # "<master key version>:<base64 of the wrapped data key>"
    data: str  # base64 of the encrypted fields


class SealedRow(Protocol):
    """What `Vault.open` reads of a stored record (backend.db.StoredRecord)."""

    key: str
    body: dict[str, Any]
    sealed_key: str | None
    sealed: str | None


@dataclass(frozen=True)
class _Keys:
    current: int
    master: dict[int, bytes]
    index: bytes


class Vault:
    """The keys of one key file. Keys only ever get added to the file, so a sealed value
    under a version this process has not seen yet (another process rotated) makes it
    read the file again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._keys = self._read()

    # -- sealing ---------------------------------------------------------------------------

    @staticmethod
    def split(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The body's fields in two: those kept in clear, the personal ones."""
        clear = {k: v for k, v in body.items() if k not in PERSONAL_FIELDS}
        personal = {k: v for k, v in body.items() if k in PERSONAL_FIELDS}
        return clear, personal

    def seal(self, personal: dict[str, Any], record_key: str) -> Sealed:
        """Personal fields under a fresh data key, wrapped by the current master key."""
        keys = self._fresh()
        data_key = AESGCM.generate_key(bit_length=8 * KEY_BYTES)
        text = json.dumps(personal, ensure_ascii=False, separators=(",", ":")).encode()
        data = _encrypt(data_key, text, _record_aad(record_key))
        return Sealed(self._wrap(keys, keys.current, data_key), _b64(data))

    def unseal(self, sealed: Sealed, record_key: str) -> dict[str, Any]:
        data_key = self._unwrap(sealed.key)
        try:
            text = _decrypt(data_key, _unb64(sealed.data), _record_aad(record_key))
        except InvalidTag:
            raise VaultError(f"record {record_key}: its sealed fields do not open") from None
        found: dict[str, Any] = json.loads(text)
        return found

    def open(self, row: SealedRow) -> dict[str, Any]:
        """A stored record's whole body, its personal fields opened (a record stored
        before the vault, with nothing sealed, is its body as it is)."""
        if row.sealed_key is None or row.sealed is None:
            return dict(row.body)
        return {**row.body, **self.unseal(Sealed(row.sealed_key, row.sealed), row.key)}

    def rewrap(self, sealed_key: str) -> str:
        """The same data key, wrapped by the current master key (rotation)."""
        keys = self._fresh()
        return self._wrap(keys, keys.current, self._unwrap(sealed_key))

    @property
    def current_version(self) -> int:
        return self._fresh().current

    # -- keyed hashes ----------------------------------------------------------------------

    def keyed_hash(self, purpose: str, text: str | bytes) -> str:
        """HMAC-SHA-256 under the index key, hex; `purpose` keeps the uses apart."""
        raw = text.encode() if isinstance(text, str) else text
        mac = hmac.new(self._keys.index, purpose.encode() + b"\x00" + raw, hashlib.sha256)
        return mac.hexdigest()

    def id_hash(self, id_number: str) -> str:
        """The keyed hash an ID number is found by (spaces and case do not matter)."""
        return self.keyed_hash("id_number", id_number.strip().upper())

    @staticmethod
    def same_hash(stored: str | None, computed: str) -> bool:
        """Compared in constant time: how long it takes says nothing of the stored one."""
        return stored is not None and hmac.compare_digest(stored, computed)

    # -- rotation --------------------------------------------------------------------------

    def add_master_key(self) -> int:
        """A new current master key, written to the key file (the old ones stay); its
        version. Under a lock: two rotations at once would lose one of the keys."""
        with _locked(self.path):
            keys = self._read()
            version = max(keys.master) + 1
            master = {**keys.master, version: secrets.token_bytes(KEY_BYTES)}
            _write_new(self.path, _Keys(version, master, keys.index), replace=True)
            self._keys = self._read()
        log.info("master key v%d added to %s", version, self.path)
        return version

    # -- inside ----------------------------------------------------------------------------

    def _wrap(self, keys: _Keys, version: int, data_key: bytes) -> str:
        wrapped = _encrypt(keys.master[version], data_key, _wrap_aad(version))
        return f"{version}:{_b64(wrapped)}"

    def _unwrap(self, sealed_key: str) -> bytes:
        version_text, _, wrapped = sealed_key.partition(":")
        try:
            version = int(version_text)
        except ValueError:
            raise VaultError(f"a sealed key without a version: {version_text[:8]!r}") from None
        master = self._keys.master.get(version)
        if master is None:  # rotated by another process since this one read the file
            master = self._fresh(force=True).master.get(version)
        if master is None:
            raise VaultError(f"{self.path}: no master key v{version}")
        try:
            return _decrypt(master, _unb64(wrapped), _wrap_aad(version))
        except InvalidTag:
            raise VaultError(f"a data key does not open under master key v{version}") from None

    def _fresh(self, force: bool = False) -> _Keys:
        """The keys, read again when the file changed (a rotation by the CLI)."""
        if force or _stamp(self.path) != self._stamp:
            self._keys = self._read()
        return self._keys

    def _read(self) -> _Keys:
        path = self.path
        mode = path.stat().st_mode
        if mode & 0o077:
            raise VaultError(
                f"{path}: readable by group or others (mode {mode & 0o777:o}); chmod 600 {path}"
            )
        stamp = _stamp(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format is not {FORMAT}")
            master = {int(v): _key(text) for v, text in data["master_keys"].items()}
            keys = _Keys(int(data["current"]), master, _key(data["index_key"]))
            if keys.current not in master:
                raise ValueError(f"no master key v{keys.current}, the current one")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise VaultError(f"{path}: not a key file: {exc}") from None
        self._stamp = stamp
        return keys


def load_vault(data_dir: Path, engine: Engine | None = None, *, create: bool = True) -> Vault:
    """The vault of a backend's data directory; its key file made on first start.

    Given the database, the vault must open what it already holds: a key file made
    anew where the old one was lost (a restored machine, a second API host with an
    empty data folder, a command run from the wrong folder) would otherwise seal new
    records under keys that open none of the old ones, and fail on every old one."""
    path = data_dir / KEY_FILE
    if not path.exists() and not create:
        raise VaultError(f"{path}: no key file here (is --data the backend's data folder?)")
    if not path.exists():
        if engine is not None and _one_sealed(engine) is not None:
            raise VaultError(f"{path}: missing, and the database holds records sealed "
                             "under it: restore it (a new one would open none)")  # fmt: skip
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        first = _Keys(1, {1: secrets.token_bytes(KEY_BYTES)}, secrets.token_bytes(KEY_BYTES))
        with contextlib.suppress(FileExistsError):  # another process made it first
            _write_new(path, first, replace=False)
    vault = Vault(path)
    if engine is not None:
        check_opens(vault, engine)
    return vault


def check_opens(vault: Vault, engine: Engine) -> None:
    """Refuses a key file that does not open a record the database sealed."""
    row = _one_sealed(engine)
    if row is not None:
        try:
            vault.open(row)
        except VaultError as exc:
            raise VaultError(f"{vault.path} does not open the records this database sealed "
                             f"({exc}): the key file of another backend?") from None  # fmt: skip


def _one_sealed(engine: Engine) -> Any:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.db import StoredRecord

    with Session(engine, expire_on_commit=False) as db:
        return db.scalars(
            select(StoredRecord).where(StoredRecord.sealed.is_not(None)).limit(1)
        ).first()


def vault_of(app: Any) -> Vault:
    """The application's vault (create_app loads it)."""
    vault: Vault = app.state.vault
    return vault


# -- the algorithms -----------------------------------------------------------------------


def _encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)


def _record_aad(record_key: str) -> bytes:
    return f"{FORMAT} record {record_key}".encode()


def _wrap_aad(version: int) -> bytes:
    return f"{FORMAT} data key v{version}".encode()


# -- the key file -------------------------------------------------------------------------


def _key(text: str) -> bytes:
    raw = bytes.fromhex(text)
    if len(raw) != KEY_BYTES:
        raise ValueError(f"a key is {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def _write_new(path: Path, keys: _Keys, *, replace: bool) -> None:
    """The key file written whole or not at all: a temporary file, made 0600, synced,
    then moved into place (`replace`: over the old one; else only if there is none)."""
    body = {
        "format": FORMAT,
        "current": keys.current,
        "master_keys": {str(v): k.hex() for v, k in sorted(keys.master.items())},
        "index_key": keys.index.hex(),
    }
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails when the file exists: never overwrites
    finally:
        temporary.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    descriptor = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when closed
        yield
    finally:
        os.close(descriptor)


def _stamp(path: Path) -> tuple[int, int, int]:
    found = path.stat()
    return found.st_ino, found.st_mtime_ns, found.st_size


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VaultError("a sealed value is not base64") from None
