"""Personal fields encrypted at rest (issue #16, item 4): nothing of a citizen in the
database in clear, the keys in a file of the backend's user only, rotation that keeps
every record readable, and idempotency that survives it all."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.db import AuditEntry, Photo, StoredRecord
from backend.keys_cli import KeysCommand
from backend.records import body_hash
from backend.registry import citizen_id
from backend.vault import KEY_FILE, PERSONAL_FIELDS, Vault, VaultError, load_vault
from tests.backend.harness import Backend, Response, record
from wire import crypto
from wire.sync import BODIES, Record

CITIZEN = citizen_id("renewal_due")
NAME, PHONE, ADDRESS = "测试甲", "13912345678", "北京市东城区测试路 1 号"
PORTRAIT = b"\xff\xd8\xff\xe0 a portrait nobody may read in the database " * 8
JPEG = base64.b64encode(PORTRAIT).decode()
RECEIPT = "T0123456789AB-48219377-1029482-B"


@pytest.fixture
def vaulted(backend: Backend) -> Backend:
    """The backend with its vault (create_app loads it from the data folder)."""
    assert isinstance(backend.app.state.vault, Vault)
    return backend


def application(key: str = "app-0000001", **changes: Any) -> dict[str, Any]:
    body = {"service": "id_renewal", "receipt": "A20261118AB12CD34", "id_number": CITIZEN,
            "name": NAME, "phone": PHONE, "address": ADDRESS, "delivery": "post"}  # fmt: skip
    body.update(changes)
    return record(key, kind="application", **body)


def portrait(key: str = "photo-0000001") -> dict[str, Any]:
    return record(key, kind="photo", receipt=RECEIPT, jpeg_base64=JPEG, id_number=CITIZEN)


def keys(backend: Backend, *argv: str, suite: str | None = None) -> int:
    """`kiosk-backend keys ...` on this backend's data and database, in its suite (or
    `suite`, the deployment's after a switch)."""
    parser = argparse.ArgumentParser()
    KeysCommand().register(parser.add_subparsers())
    args = parser.parse_args(["keys", *argv, "--data", str(backend.data), "--db", backend.url,
                              "--crypto-suite", suite or backend.crypto_suite])  # fmt: skip
    return int(args.handler(args))


def raw_rows(backend: Backend, table: str) -> str:
    """Every column of every row, as the database hands them to anyone who can read it."""
    with backend.app.state.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).all()
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


def photo_of(backend: Backend, terminal: Any) -> Response:
    return terminal.call("POST", "/v1/photos/lookup", {"receipt": RECEIPT})


# ---- at rest -------------------------------------------------------------------------------


def test_the_database_holds_no_personal_field_in_clear(vaulted: Backend) -> None:
    booth = vaulted.enrol()
    assert booth.records(application(), portrait()).json()["refused"] == []
    stored = raw_rows(vaulted, "records") + raw_rows(vaulted, "photos")
    for secret in (CITIZEN, CITIZEN[6:14], NAME, PHONE, ADDRESS, JPEG, JPEG[40:80]):
        assert secret not in stored
    json_escaped = json.dumps(NAME)[1:-1]  # 测试甲 as \u6d4b... in a JSON text
    assert json_escaped not in stored and PORTRAIT[:40].hex() not in stored
    # what readers need without anyone's data stays in clear: the console's service
    # counts, the receipt numbers
    assert "id_renewal" in stored and RECEIPT in stored
    with Session(vaulted.app.state.engine) as db:
        rows = {row.key: row for row in db.scalars(select(StoredRecord))}
        photo = db.get(Photo, RECEIPT)
    assert set(rows["app-0000001"].body) == {"service", "receipt", "delivery"}
    assert rows["app-0000001"].sealed_key.startswith("1:")  # type: ignore[union-attr]
    assert photo is not None and photo.id_hash and CITIZEN not in photo.id_hash
    # and all of it opens again
    assert photo_of(vaulted, booth).json()["jpeg_base64"] == JPEG
    opened = vaulted.app.state.vault.open(rows["app-0000001"])
    assert (opened["id_number"], opened["name"], opened["phone"]) == (CITIZEN, NAME, PHONE)


def test_every_personal_field_of_the_wire_bodies_is_sealed() -> None:
    declared = {name for model in BODIES.values() for name in model.model_fields}
    personal = {"id_number", "jpeg_base64"}  # the bodies' own personal fields today
    assert personal <= declared and personal <= PERSONAL_FIELDS
    readers = {"service", "receipt", "transaction", "stars", "out_trade_no", "state",
               "amount_fen", "method", "screen", "step", "language", "elderly"}  # fmt: skip
    assert not readers & PERSONAL_FIELDS  # what the backend reads stays readable


def test_a_sealed_record_opens_only_in_its_own_row(vaulted: Backend) -> None:
    booth = vaulted.enrol()
    booth.records(application("app-0000001"), application("app-0000002", phone="13700000000"))
    with Session(vaulted.app.state.engine) as db:
        one, two = db.scalars(select(StoredRecord).order_by(StoredRecord.seq)).all()
        one.sealed, one.sealed_key = two.sealed, two.sealed_key  # swapped by someone
        with pytest.raises(VaultError, match="do not open"):
            vaulted.app.state.vault.open(one)


# ---- the key file -------------------------------------------------------------------------


def test_the_key_file_is_made_0600_and_refused_when_others_may_read_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = load_vault(tmp_path)
    path = tmp_path / KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert vault.current_version == 1
    content = json.loads(path.read_text())
    assert content["format"] == "kiosk-vault/2" and set(content["master_keys"]) == {"1"}
    assert content["master_keys"]["1"]["suite"] == content["index_key"]["suite"] == crypto.DEFAULT
    assert load_vault(tmp_path).id_hash(CITIZEN) == vault.id_hash(CITIZEN)  # the same keys
    os.chmod(path, 0o644)
    with pytest.raises(VaultError) as refused:
        load_vault(tmp_path)
    assert "\n" not in str(refused.value) and "chmod 600" in str(refused.value)
    assert f"{path}: readable by group or others (mode 644)" in str(refused.value)
    # the command line says it in one line and stops
    parser = argparse.ArgumentParser()
    KeysCommand().register(parser.add_subparsers())
    args = parser.parse_args(["keys", "rotate", "--data", str(tmp_path),
                              "--db", f"sqlite:///{tmp_path / 'b.db'}"])  # fmt: skip
    assert args.handler(args) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "readable by group or others" in error
    os.chmod(path, 0o600)
    path.write_text("{}")
    with pytest.raises(VaultError, match="not a key file"):
        load_vault(tmp_path)


# ---- rotation ------------------------------------------------------------------------------


def test_rotation_keeps_every_record_readable_and_new_ones_use_the_new_key(
    vaulted: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    booth = vaulted.enrol()
    booth.records(application(), portrait())
    assert keys(vaulted, "rotate") == 0
    assert capsys.readouterr().out == (
        "master key v2 is current: 2 data keys rewrapped, 0 older records sealed\n"
    )
    booth.records(application("app-0000002"))
    assert keys(vaulted, "rotate") == 0
    booth.records(application("app-0000003"))
    with Session(vaulted.app.state.engine) as db:
        rows = db.scalars(select(StoredRecord).order_by(StoredRecord.seq)).all()
        versions = [row.sealed_key.split(":")[0] for row in rows]  # type: ignore[union-attr]
        # the backend that runs meets keys the command line added: it reads them again
        assert all(vaulted.app.state.vault.open(row)["phone"] == PHONE for row in rows[::2])
        (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "keys_rotate")
                              .order_by(AuditEntry.id.desc()).limit(1))  # fmt: skip
    assert versions == ["3", "3", "3", "3"]  # the old ones rewrapped, the new one sealed
    assert entry.target == "master key v3" and entry.actor_kind == "cli"
    assert photo_of(vaulted, booth).json()["jpeg_base64"] == JPEG
    master_keys = json.loads((vaulted.data / KEY_FILE).read_text())["master_keys"]
    assert set(master_keys) == {"1", "2", "3"}  # old keys stay: backups still open
    # a record sent again after rotation is still the duplicate it is; changed, a conflict
    again = booth.records(application(), portrait())
    assert [r["duplicate"] for r in again.json()["receipts"]] == [True, True]
    changed = booth.records(application(phone="13800000000"))
    assert changed.status_code == 409 and changed.json()["keys"] == ["app-0000001"]


def test_records_from_before_the_vault_are_sealed_by_rotation(backend: Backend) -> None:
    booth = backend.enrol()
    vault, backend.app.state.vault = backend.app.state.vault, None  # a backend before 0006
    booth.records(application(), portrait())  # stored in clear, as before 0006
    assert PHONE in raw_rows(backend, "records")
    backend.app.state.vault = vault  # upgraded
    assert photo_of(backend, booth).json()["jpeg_base64"] == JPEG  # the old rows still read
    assert keys(backend, "rotate") == 0
    stored = raw_rows(backend, "records")
    assert PHONE not in stored and JPEG not in stored and CITIZEN not in stored
    assert photo_of(backend, booth).json()["jpeg_base64"] == JPEG
    other = backend.enrol("another booth")  # the photo's ID number is now matched too
    found = other.call("POST", "/v1/photos/lookup", {"receipt": RECEIPT, "id_number": CITIZEN})
    assert found.status_code == 200
    again = booth.records(application(), portrait())  # hashed before the vault: still known
    assert [r["duplicate"] for r in again.json()["receipts"]] == [True, True]


# ---- idempotency ---------------------------------------------------------------------------


def test_idempotency_holds_over_sealed_bodies_and_its_hash_is_keyed(vaulted: Backend) -> None:
    booth = vaulted.enrol()
    first = booth.records(application())
    again = booth.records(application())
    assert again.json()["receipts"] == [{**first.json()["receipts"][0], "duplicate": True}]
    # a personal field changed, only sealed in the row: still seen as another body
    changed = booth.records(application(id_number=citizen_id("minor")))
    assert changed.status_code == 409 and changed.json()["keys"] == ["app-0000001"]
    with Session(vaulted.app.state.engine) as db:
        (row,) = db.scalars(select(StoredRecord))
    # keyed: whoever reads the table cannot try guesses of the ID number against it
    assert row.body_hash != body_hash(Record.model_validate(application()))


def test_a_lost_or_foreign_key_file_is_refused_not_replaced(
    vaulted: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Round two's review: a key file made anew where the old was lost (or `keys
    rotate` run from the wrong folder) sealed new records under keys that open none of
    the old ones. Now the backend and the command refuse, and nothing is written."""
    booth = vaulted.enrol()
    booth.records(application(), portrait())
    (vaulted.data / KEY_FILE).rename(tmp_path / "kept.json")
    with pytest.raises(VaultError, match="restore it"):
        load_vault(vaulted.data, vaulted.app.state.engine)
    assert not (vaulted.data / KEY_FILE).exists()
    assert keys(vaulted, "rotate") == 1 and "no key file here" in capsys.readouterr().err
    load_vault(tmp_path / "elsewhere")  # another backend's key file
    (tmp_path / "elsewhere" / KEY_FILE).rename(vaulted.data / KEY_FILE)
    with pytest.raises(VaultError, match="does not open the records"):
        load_vault(vaulted.data, vaulted.app.state.engine)
    assert keys(vaulted, "rotate") == 1 and "does not open" in capsys.readouterr().err


# ---- crypto suites (issue 25) ---------------------------------------------------------------


def key_file(backend: Backend) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((backend.data / KEY_FILE).read_text())
    return found


def stored_rows(backend: Backend) -> list[StoredRecord]:
    with Session(backend.app.state.engine) as db:
        return list(db.scalars(select(StoredRecord).order_by(StoredRecord.seq)))


def sealed(backend: Backend) -> list[tuple[str, str]]:
    """Each stored record's (master key version, suite of its sealed data)."""
    return [(str(row.sealed_key).split(":")[0], str(row.sealed).split(":")[0])
            for row in stored_rows(backend)]  # fmt: skip


def found_by_id_number(backend: Backend) -> int:
    """What another booth gets when it asks for the portrait by its citizen's ID number:
    found (200) only if the stored keyed hash of the ID number matches."""
    other = backend.enrol("another booth")
    ask = {"receipt": RECEIPT, "id_number": CITIZEN}
    return other.call("POST", "/v1/photos/lookup", ask).status_code


@pytest.mark.parametrize("suite", crypto.NAMES)
def test_each_suite_seals_finds_and_rotates(vaulted: Backend, suite: str) -> None:
    booth = vaulted.enrol()
    booth.records(application(), portrait())
    made = key_file(vaulted)
    assert made["master_keys"]["1"]["suite"] == made["index_key"]["suite"] == suite
    assert sealed(vaulted) == [("1", suite), ("1", suite)]
    assert photo_of(vaulted, booth).json()["jpeg_base64"] == JPEG
    assert found_by_id_number(vaulted) == 200
    assert keys(vaulted, "rotate") == 0
    assert key_file(vaulted)["master_keys"]["2"]["suite"] == suite
    assert sealed(vaulted) == [("2", suite), ("2", suite)]
    assert vaulted.app.state.vault.open(stored_rows(vaulted)[0])["phone"] == PHONE
    again = booth.records(application(), portrait())
    assert [r["duplicate"] for r in again.json()["receipts"]] == [True, True]


@pytest.mark.parametrize(("suite", "after"), [("intl", "gm"), ("gm", "intl")])
def test_a_switch_of_suite_adds_a_master_key_and_old_rows_still_open_and_match(
    vaulted: Backend, suite: str, after: str
) -> None:
    booth = vaulted.enrol()
    booth.records(application(), portrait())
    # the backend started again with the other suite
    engine = vaulted.app.state.engine
    vaulted.app.state.vault = load_vault(vaulted.data, engine, suite=after)
    switched = key_file(vaulted)
    assert switched["current"] == 2 and switched["master_keys"]["2"]["suite"] == after
    assert switched["master_keys"]["1"]["suite"] == suite
    # the keyed hashes stay in the index key's suite: the stored ones still match
    assert switched["index_key"]["suite"] == suite
    assert found_by_id_number(vaulted) == 200
    again = booth.records(application(), portrait())
    assert [r["duplicate"] for r in again.json()["receipts"]] == [True, True]
    booth.records(application("app-0000002"))
    assert sealed(vaulted) == [("1", suite), ("1", suite), ("2", after)]
    opened = [vaulted.app.state.vault.open(row) for row in stored_rows(vaulted)]
    assert [body["id_number"] for body in opened] == [CITIZEN] * 3
    load_vault(vaulted.data, engine, suite=after)  # started again: no further key
    assert key_file(vaulted)["current"] == 2
    # rotation in the new suite moves the old data keys under it; the data stays as sealed
    assert keys(vaulted, "rotate", suite=after) == 0
    assert key_file(vaulted)["master_keys"]["3"]["suite"] == after
    assert sealed(vaulted) == [("3", suite), ("3", suite), ("3", after)]
    assert photo_of(vaulted, booth).json()["jpeg_base64"] == JPEG
    assert found_by_id_number(vaulted) == 200


@dataclass
class OldRow:
    key: str
    body: dict[str, Any]
    sealed_key: str | None
    sealed: str | None


def test_a_key_file_from_before_the_suites_opens_its_rows_and_finds_its_hashes(
    tmp_path: Path,
) -> None:
    """A kiosk-vault/1 file and a row as the backend wrote them before the suites:
    AES-256-GCM (the intl suite's AEAD) under bare hex keys, data in bare base64, the
    ID number's hash HMAC-SHA-256 (the intl suite's MAC)."""
    intl = crypto.suite("intl")
    master, index, data_key = (secrets.token_bytes(32) for _ in range(3))
    path = tmp_path / KEY_FILE
    path.parent.mkdir(mode=0o700)
    path.write_text(json.dumps({"format": "kiosk-vault/1", "current": 1,
                                "master_keys": {"1": master.hex()},
                                "index_key": index.hex()}))  # fmt: skip
    path.chmod(0o600)
    fields = json.dumps({"id_number": CITIZEN, "phone": PHONE}).encode()
    row = OldRow(
        "app-0000001",
        {"service": "id_renewal"},
        "1:" + b64(intl.seal(master, data_key, b"kiosk-vault/1 data key v1")),
        b64(intl.seal(data_key, fields, b"kiosk-vault/1 record app-0000001")),
    )
    old_hash = intl.mac(index, b"id_number\x00" + CITIZEN.encode()).hex()
    opened = load_vault(tmp_path, suite="intl")
    assert opened.current_version == 1  # the same suite: nothing added
    assert opened.open(row) == {"service": "id_renewal", "id_number": CITIZEN, "phone": PHONE}
    assert opened.same_hash(old_hash, opened.id_hash(CITIZEN))
    gm = load_vault(tmp_path, suite="gm")  # and then the deployment switches to gm
    assert gm.current_version == 2
    assert gm.open(row)["phone"] == PHONE and gm.same_hash(old_hash, gm.id_hash(CITIZEN))
    rewrapped = OldRow(row.key, row.body, gm.rewrap(str(row.sealed_key)), row.sealed)
    assert str(rewrapped.sealed_key).startswith("2:") and gm.open(rewrapped)["phone"] == PHONE
    content = json.loads(path.read_text())
    assert content["format"] == "kiosk-vault/2"
    added = content["master_keys"]["2"]
    assert content["master_keys"]["1"] == {"suite": "intl", "key": master.hex()}
    assert added["suite"] == "gm" and len(bytes.fromhex(added["key"])) == 16  # SM4
    assert content["index_key"] == {"suite": "intl", "key": index.hex()}


def test_a_key_of_the_wrong_size_or_an_unknown_suite_is_refused(tmp_path: Path) -> None:
    load_vault(tmp_path, suite="gm")
    path = tmp_path / KEY_FILE
    content = json.loads(path.read_text())
    content["master_keys"]["1"]["key"] = "00" * 32  # an AES-256 key called gm
    path.write_text(json.dumps(content))
    with pytest.raises(VaultError, match="master key of the gm suite is 16 bytes, not 32"):
        load_vault(tmp_path, suite="gm")
    content["master_keys"]["1"] = {"suite": "rot13", "key": "00" * 16}
    path.write_text(json.dumps(content))
    with pytest.raises(VaultError, match=f"{path}: not a key file: unknown crypto suite"):
        load_vault(tmp_path, suite="gm")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("suite", crypto.NAMES)
def test_a_rotation_that_names_no_suite_stays_in_the_deployments(backend: Backend) -> None:
    """`keys rotate` with no `--crypto-suite` rotates in the current key's suite (what
    `serve` last ran in), not in the built-in default."""
    parser = argparse.ArgumentParser()
    KeysCommand().register(parser.add_subparsers())
    args = parser.parse_args(["keys", "rotate", "--data", str(backend.data), "--db", backend.url])
    assert args.handler(args) == 0
    master_keys = json.loads((backend.data / KEY_FILE).read_text())["master_keys"]
    assert master_keys["2"]["suite"] == backend.crypto_suite
