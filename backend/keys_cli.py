"""`kiosk-backend keys rotate`: a new master key for the personal fields at rest
(backend/vault.py), in the current key's crypto suite (the deployment's since `serve`
last started) or the one `--crypto-suite` names, and every stored data key wrapped
again under it.

Safe to run while the backend serves: keys are only ever added to the key file (a
running backend reads it again when it meets a version it does not know), and each
batch of records is its own transaction. Interrupted, it is simply run again. Records
stored before the vault existed, their personal fields still in clear, are sealed on
the way. Printed and audited: the new version and what was done, no one's data."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.serve import _common, _db_url, _line
from wire import crypto

if TYPE_CHECKING:  # the command line lists every command: imports wait until one runs
    from sqlalchemy.engine import Engine

    from backend.vault import Vault

BATCH = 500  # records per transaction: short locks, progress kept when interrupted


@dataclass
class Rotation:
    version: int
    rewrapped: int = 0  # data keys now under the new master key
    sealed: int = 0  # records from before the vault, sealed now


class KeysCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser("keys", help="the keys of personal data at rest: rotate")
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                        parser_class=type(parser))  # fmt: skip
        rotate = actions.add_parser(
            "rotate", help="add a master key and wrap every stored data key under it"
        )
        rotate.add_argument(
            "--crypto-suite", choices=crypto.NAMES,
            help="the new master key's suite (default: the current key's, which is the "
            "deployment's since serve last started)",
        )  # fmt: skip
        _common(rotate)
        issuer = actions.add_parser(
            "rotate-issuer", help="a new key signing proofs (a running backend uses it at once)"
        )
        issuer.add_argument(
            "--crypto-suite", choices=crypto.NAMES,
            help="the new key's suite (default: the current issuer key's)",
        )  # fmt: skip
        _common(issuer)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        if args.action == "rotate-issuer":
            return _rotate_issuer(args)
        from backend.db import make_engine, migrate
        from backend.vault import load_vault

        engine = None
        try:
            engine = make_engine(_db_url(args))
            migrate(engine)
            # the key file must be there and open what the database sealed: rotating a
            # stray one would seal records under keys the backend does not have. Its
            # suite is left as it is: the rotation's new key is of the deployment's.
            vault = load_vault(args.data, engine, suite=None, create=False)
        except Exception as exc:  # a key file open to others, an unreachable database
            print(f"kiosk-backend: keys {args.action}: {_line(exc)}", file=sys.stderr)
            if engine is not None:
                engine.dispose()
            return 1
        try:
            done = rotate(engine, vault, args.crypto_suite or vault.current_suite)
        except Exception as exc:  # the new key is in the file: running it again finishes
            print(f"kiosk-backend: keys rotate: {_line(exc)} (run it again to finish)",
                  file=sys.stderr)  # fmt: skip
            return 1
        finally:
            engine.dispose()
        print(f"master key v{done.version} is current: {done.rewrapped} data keys "
              f"rewrapped, {done.sealed} older records sealed")  # fmt: skip
        return 0


def _rotate_issuer(args: argparse.Namespace) -> int:
    """The issuer key file of `--data` gets a new current key, which a running backend
    signs with from its next proof; those signed before verify with the old one, which
    stays published. Audited like the vault's."""
    from sqlalchemy.orm import Session

    from backend.audit import audit
    from backend.db import make_engine, migrate
    from backend.issuer import ISSUER_FILE, rotate_issuer

    path = args.data / ISSUER_FILE
    engine = None
    try:
        if not path.exists():
            raise ValueError(f"{path}: no issuer key file here (is --data the backend's?)")
        engine = make_engine(_db_url(args))
        migrate(engine)
        issuer = rotate_issuer(path, args.crypto_suite)
        with Session(engine) as db, db.begin():
            audit(db, time.time(), "cli", getpass.getuser(), "issuer_rotate", issuer.key_id,
                  f"{issuer.signing_key.suite} suite")  # fmt: skip
    except Exception as exc:  # a key file open to others, an unreachable database
        print(f"kiosk-backend: keys rotate-issuer: {_line(exc)}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()
    print(f"issuer key {issuer.key_id} ({issuer.signing_key.suite}) signs proofs from now "
          "on; the older keys stay published")  # fmt: skip
    return 0


def rotate(engine: Engine, vault: Vault, suite: str) -> Rotation:
    """Adds a master key of `suite`, then rewraps and seals in batches; audited once at
    the end."""
    from sqlalchemy.orm import Session

    from backend.audit import audit

    done = Rotation(vault.add_master_key(suite))
    done.rewrapped = _rewrap(engine, vault)
    done.sealed = _seal_older(engine, vault)
    detail = (f"{suite} suite: {done.rewrapped} data keys rewrapped, "
              f"{done.sealed} older records sealed")  # fmt: skip
    with Session(engine) as db, db.begin():
        audit(db, time.time(), "cli", getpass.getuser(), "keys_rotate",
              f"master key v{done.version}", detail)  # fmt: skip
    return done


def _rewrap(engine: Engine, vault: Vault) -> int:
    """Every data key not yet under the current master key, wrapped under it."""
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from backend.db import StoredRecord

    current, count, after = f"{vault.current_version}:", 0, 0
    while True:
        with Session(engine) as db, db.begin():
            rows = db.execute(
                select(StoredRecord.seq, StoredRecord.sealed_key)
                .where(StoredRecord.seq > after, StoredRecord.sealed_key.is_not(None))
                .order_by(StoredRecord.seq)
                .limit(BATCH)
            ).all()
            for seq, sealed_key in rows:
                if sealed_key is not None and not sealed_key.startswith(current):
                    db.execute(
                        update(StoredRecord)
                        .where(StoredRecord.seq == seq, StoredRecord.sealed_key == sealed_key)
                        .values(sealed_key=vault.rewrap(sealed_key))
                    )
                    count += 1
        if len(rows) < BATCH:
            return count
        after = rows[-1][0]


def _seal_older(engine: Engine, vault: Vault) -> int:
    """Records stored before the vault: their personal fields sealed as ingestion seals
    them today (their idempotency hash stays as it was: records.py accepts both)."""
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from backend.db import Photo, StoredRecord
    from backend.vault import PERSONAL_FIELDS

    count, after = 0, 0
    while True:
        with Session(engine) as db, db.begin():
            rows = db.scalars(
                select(StoredRecord)
                .where(StoredRecord.seq > after, StoredRecord.sealed_key.is_(None))
                .order_by(StoredRecord.seq)
                .limit(BATCH)
            ).all()
            for row in rows:
                if not PERSONAL_FIELDS & set(row.body):
                    continue
                clear, personal = vault.split(row.body)
                sealed = vault.seal(personal, row.key)
                row.body, row.sealed_key, row.sealed = clear, sealed.key, sealed.data
                if isinstance(personal.get("id_number"), str):
                    db.execute(
                        update(Photo)
                        .where(Photo.record_seq == row.seq, Photo.id_hash.is_(None))
                        .values(id_hash=vault.id_hash(personal["id_number"]))
                    )
                count += 1
        if len(rows) < BATCH:
            return count
        after = rows[-1].seq
