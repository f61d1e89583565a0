"""Personal fields encrypted at rest (envelope encryption), and keyed hashes that find
them again without decrypting anything.

The keys are in one file outside the database, DATA/keys/personal.json, readable by
the backend's user only: made 0600 on first start, refused when group or others may
read it. Each key is of one crypto suite (wire/crypto: "gm" SM4-GCM and HMAC-SM3, or
"intl" AES-256-GCM and HMAC-SHA-256), the deployment's when it was made:

    {"format": "kiosk-vault/2", "current": 2,
     "master_keys": {"1": {"suite": "intl", "key": "<64 hex digits>"},
                     "2": {"suite": "gm", "key": "<32 hex digits>"}},
     "index_key": {"suite": "intl", "key": "<64 hex digits>"}}

A kiosk-vault/1 file (from before the suites) has bare hex keys: intl keys, all.

- A record's personal fields (PERSONAL_FIELDS, the one list) leave its body and are
  sealed together under a data key of their own, in the suite of the current master
  key, the record's idempotency key as associated data (a sealed value moved to
  another row does not open). The sealed data starts with its suite, "gm:<base64>"
  (bare base64: intl, sealed before the suites), since rotation rewraps the data key
  under a master key that may be of another suite. The body keeps the rest in clear,
  for the readers that need no one's data (the console's service counts, the
  gateway's reconciliation).
- The data key is wrapped by the current master key, in that key's suite, and stored
  beside the data, prefixed with that master key's version.
- Rotation (`kiosk-backend keys rotate`) adds a master key of the deployment's suite
  and rewraps the data keys; the data is never encrypted again, and old master keys
  stay (a backup restored from last year still opens).
- A deployment that switches suite (`serve --crypto-suite`) gets a new master key of
  the new suite when the backend starts: new records are sealed in it, old ones open
  in theirs, and `keys rotate` moves every data key under it.
- The index key makes keyed hashes (a MAC in the index key's suite): a photo's ID
  number is matched by its hash, and a record's idempotency hash covers ID numbers
  without being a way to try guesses of them. Stored hashes are compared with hashes
  computed now, so the index key keeps the suite it was made in when the deployment
  switches: a hash in another suite would find none of the stored ones, and the
  stored ones carry no suite to say which to compute. A backend made in gm hashes in
  HMAC-SM3 for good; one made in intl keeps HMAC-SHA-256 until its hashes are
  recomputed (a migration that opens every record; not done here). It is not rotated
  for the same reason.

Every algorithm comes from wire/crypto (issue #25); this file names suites only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from backend.storage import file_stamp, key_file_locked, write_key_file
from wire import crypto

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger("kiosk.backend.vault")

FORMAT = "kiosk-vault/2"  # keys that say their suite; /1's are all intl
FORMATS_READ = ("kiosk-vault/1", FORMAT)
# The label of every associated data: the file format when the first value was sealed,
# and kept since (changed, no sealed value would open)
AAD_LABEL = "kiosk-vault/1"
KEY_FILE = Path("keys") / "personal.json"  # under the backend's data directory
SUITE_BEFORE_SUITES = "intl"  # keys and sealed data that name no suite: AES-256-GCM's

# The fields of a record's body that say who a citizen is, or hold their image or a
# credential: sealed, whatever the record's kind. Matched by name at the top level
# of the body (the wire bodies, wire/sync.py BODIES, are flat). Nothing a reader
# needs in clear is here: service, receipt, transaction, stars, out_trade_no, state,
# amount_fen, method, photo_receipt, document.
PERSONAL_FIELDS = frozenset({
    # who: the ID card's face (kiosk/steps/devices.py IDENTITY_FIELDS), or typed
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
    data: str  # "<suite>:<base64 of the encrypted fields>" (bare base64: intl)


class SealedRow(Protocol):
    """What `Vault.open` reads of a stored record (backend.db.StoredRecord)."""

    key: str
    body: dict[str, Any]
    sealed_key: str | None
    sealed: str | None


@dataclass(frozen=True)
class _Key:
    suite: crypto.Suite
    secret: bytes


@dataclass(frozen=True)
class _Keys:
    current: int
    master: dict[int, _Key]
    index: _Key


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
        """Personal fields under a fresh data key, wrapped by the current master key,
        both in that key's suite."""
        keys = self._fresh()
        suite = keys.master[keys.current].suite
        data_key = suite.new_aead_key()
        text = json.dumps(personal, ensure_ascii=False, separators=(",", ":")).encode()
        data = suite.seal(data_key, text, _record_aad(record_key))
        return Sealed(self._wrap(keys, keys.current, data_key), f"{suite.name}:{_b64(data)}")

    def unseal(self, sealed: Sealed, record_key: str) -> dict[str, Any]:
        """In the suite the sealed data names, with the data key its master key opens."""
        data_key = self._unwrap(sealed.key)
        named, _, data = sealed.data.rpartition(":")
        try:
            suite = crypto.suite(named or SUITE_BEFORE_SUITES)
            text = suite.open(data_key, _unb64(data), _record_aad(record_key))
        except (crypto.UnknownSuite, crypto.BadSeal, crypto.BadKey):
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
    def current_suite(self) -> str:
        """The suite of the current master key: the deployment's, since it last started."""
        keys = self._fresh()
        return keys.master[keys.current].suite.name

    @property
    def current_version(self) -> int:
        return self._fresh().current

    # -- keyed hashes ----------------------------------------------------------------------

    def keyed_hash(self, purpose: str, text: str | bytes) -> str:
        """The MAC under the index key, in the index key's suite, hex (64 digits in
        both); `purpose` keeps the uses apart."""
        raw = text.encode() if isinstance(text, str) else text
        index = self._keys.index
        return index.suite.mac(index.secret, purpose.encode() + b"\x00" + raw).hex()

    def id_hash(self, id_number: str) -> str:
        """The keyed hash an ID number is found by (spaces and case do not matter)."""
        return self.keyed_hash("id_number", id_number.strip().upper())

    @staticmethod
    def same_hash(stored: str | None, computed: str) -> bool:
        """Compared in constant time: how long it takes says nothing of the stored one."""
        return stored is not None and secrets.compare_digest(stored, computed)

    # -- rotation --------------------------------------------------------------------------

    def add_master_key(self, suite: str) -> int:
        """A new current master key of `suite`, written to the key file (the old ones
        stay); its version. Under a lock: two rotations at once would lose one of the
        keys."""
        made = crypto.suite(suite)
        with key_file_locked(self.path):
            return self._add_master_key(self._read(), made)

    def switch_suite(self, suite: str) -> int | None:
        """A new current master key of `suite` if the current one is of another (the
        deployment switched suite): its version; None if nothing changed. Under the
        lock too: API processes starting at once switch once."""
        made = crypto.suite(suite)
        with key_file_locked(self.path):
            keys = self._read()
            if keys.master[keys.current].suite.name == made.name:
                self._keys = keys
                return None
            return self._add_master_key(keys, made)

    def _add_master_key(self, keys: _Keys, suite: crypto.Suite) -> int:
        version = max(keys.master) + 1
        master = {**keys.master, version: _Key(suite, suite.new_aead_key())}
        _write_new(self.path, _Keys(version, master, keys.index), replace=True)
        self._keys = self._read()
        log.info("master key v%d (%s) added to %s", version, suite.name, self.path)
        return version

    # -- inside ----------------------------------------------------------------------------

    def _wrap(self, keys: _Keys, version: int, data_key: bytes) -> str:
        master = keys.master[version]
        wrapped = master.suite.seal(master.secret, data_key, _wrap_aad(version))
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
            return master.suite.open(master.secret, _unb64(wrapped), _wrap_aad(version))
        except (crypto.BadSeal, crypto.BadKey):
            raise VaultError(f"a data key does not open under master key v{version}") from None

    def _fresh(self, force: bool = False) -> _Keys:
        """The keys, read again when the file changed (a rotation by the CLI)."""
        if force or file_stamp(self.path) != self._stamp:
            self._keys = self._read()
        return self._keys

    def _read(self) -> _Keys:
        path = self.path
        mode = path.stat().st_mode
        if mode & 0o077:
            raise VaultError(
                f"{path}: readable by group or others (mode {mode & 0o777:o}); chmod 600 {path}"
            )
        stamp = file_stamp(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") not in FORMATS_READ:
                raise ValueError(f"format is not {FORMAT}")
            master = {int(v): _master_key(found) for v, found in data["master_keys"].items()}
            keys = _Keys(int(data["current"]), master, _index_key(data["index_key"]))
            if keys.current not in master:
                raise ValueError(f"no master key v{keys.current}, the current one")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise VaultError(f"{path}: not a key file: {exc}") from None
        self._stamp = stamp
        return keys


def load_vault(
    data_dir: Path,
    engine: Engine | None = None,
    *,
    suite: str | None = crypto.DEFAULT,
    create: bool = True,
) -> Vault:
    """The vault of a backend's data directory; its key file made on first start, in
    `suite`, the deployment's. A file whose current master key is of another suite
    gets a new one of `suite` (the deployment switched); None leaves it as it is
    (`keys rotate` adds its own).

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
        made = crypto.suite(suite or crypto.DEFAULT)
        first = _Keys(1, {1: _Key(made, made.new_aead_key())}, _Key(made, made.new_mac_key()))
        with contextlib.suppress(FileExistsError):  # another process made it first
            _write_new(path, first, replace=False)
    vault = Vault(path)
    if engine is not None:
        check_opens(vault, engine)  # before writing to it: it may be another backend's
    if suite is not None:
        vault.switch_suite(suite)
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


# -- associated data ----------------------------------------------------------------------


def _record_aad(record_key: str) -> bytes:
    return f"{AAD_LABEL} record {record_key}".encode()


def _wrap_aad(version: int) -> bytes:
    return f"{AAD_LABEL} data key v{version}".encode()


# -- the key file -------------------------------------------------------------------------


def _master_key(found: Any) -> _Key:
    key = _key(found)
    _sized(key, key.suite.aead_key_bytes, "master key")
    return key


def _index_key(found: Any) -> _Key:
    key = _key(found)
    _sized(key, key.suite.mac_key_bytes, "index key")
    return key


def _key(found: Any) -> _Key:
    """{"suite": ..., "key": hex}, or bare hex: a kiosk-vault/1 key, intl."""
    if isinstance(found, str):
        return _Key(crypto.suite(SUITE_BEFORE_SUITES), bytes.fromhex(found))
    return _Key(crypto.suite(found["suite"]), bytes.fromhex(found["key"]))


def _sized(key: _Key, size: int, what: str) -> None:
    if len(key.secret) != size:
        raise ValueError(f"a {what} of the {key.suite.name} suite is {size} bytes, "
                         f"not {len(key.secret)}")  # fmt: skip


def _write_new(path: Path, keys: _Keys, *, replace: bool) -> None:
    """`replace`: over the old file; else only if there is none."""
    body = {
        "format": FORMAT,
        "current": keys.current,
        "master_keys": {str(v): _written(k) for v, k in sorted(keys.master.items())},
        "index_key": _written(keys.index),
    }
    write_key_file(path, body, replace=replace)


def _written(key: _Key) -> dict[str, str]:
    return {"suite": key.suite.name, "key": key.secret.hex()}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VaultError("a sealed value is not base64") from None
