"""The backend's files are its user's alone: the data folder 0700, the SQLite
database and its -wal and -shm 0600 from the moment they exist (whatever the umask),
the issuer's key 0600; what an earlier run left open to others is tightened, with a
warning, and a key file open to others is refused."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from backend import storage
from backend.cli import main
from backend.db import make_engine, migrate
from backend.issuer import load_issuer
from backend.storage import StorageError, private_dir, private_sqlite_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _loose_umask() -> Iterator[None]:
    """The usual umask (022), under which a file made the ordinary way is 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_database_and_its_side_files_are_private(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "backend.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    with engine.begin() as connection:  # open: the -wal and -shm exist now
        connection.execute(text("INSERT INTO rate_buckets VALUES ('b', 0, 1)"))
        sides = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
        assert all(side.exists() for side in sides)
        assert {mode(p) for p in (database, *sides)} == {0o600}
    engine.dispose()
    assert mode(database.parent) == 0o700  # made here: private too


def test_files_left_open_to_others_are_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "backend.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    engine.dispose()
    wal = database.with_name("backend.db-wal")
    wal.write_bytes(b"")
    for path in (database, wal):
        path.chmod(0o644)
    tmp_path.chmod(0o755)  # a folder --db names is left as it is: it may be shared
    with caplog.at_level(logging.WARNING, logger="backend.storage"):
        make_engine(f"sqlite:///{database}").dispose()
    assert mode(database) == mode(wal) == 0o600
    assert mode(tmp_path) == 0o755
    warned = [r.getMessage() for r in caplog.records]
    assert f"{database} was open to other users (mode 0644): tightened to 0600" in warned
    assert any(str(wal) in line for line in warned) and len(warned) == 2
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="backend.storage"):
        make_engine(f"sqlite:///{database}").dispose()
    assert caplog.records == []  # private already: nothing to say


def test_the_data_folder_is_private(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert mode(private_dir(tmp_path / "new" / "data")) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    with caplog.at_level(logging.WARNING, logger="backend.storage"):
        private_dir(shared)
    assert mode(shared) == 0o700 and "tightened to 0700" in caplog.text
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StorageError, match="not a folder"):
        private_dir(tmp_path / "a-file")


def test_the_backend_command_makes_its_data_folder_and_database_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "var" / "backend"
    data.mkdir(parents=True, mode=0o755)
    assert main(["code", "--data", str(data)]) == 0
    said = capsys.readouterr()
    assert len(said.out.strip()) >= 8  # the code
    assert said.err == (f"kiosk-backend: warning: {data} was open to other users (mode 0755): "
                        "tightened to 0700\n")  # fmt: skip
    assert mode(data) == 0o700 and mode(data / "backend.db") == 0o600


def test_the_issuer_key_is_private_and_refused_when_others_can_read_it(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "issuer.json"
    load_issuer(key_file)
    assert mode(key_file) == 0o600 and mode(key_file.parent) == 0o700
    key_file.chmod(0o640)
    with pytest.raises(ValueError, match=r"readable by others \(mode 0640\); chmod 600"):
        load_issuer(key_file)


def test_a_file_that_cannot_be_tightened_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user's file (tests run as root, who may chmod anything: simulated)."""
    database = tmp_path / "backend.db"
    database.write_bytes(b"")
    database.chmod(0o644)

    def refuse(path: object, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(storage.os, "chmod", refuse)
    with pytest.raises(StorageError) as refused:
        private_sqlite_file(f"sqlite:///{database}")
    assert str(refused.value) == (
        f"{database}: open to other users (mode 0644) and cannot be tightened "
        "(Operation not permitted): chmod go= it as its owner"
    )


def test_an_in_memory_database_has_no_file(tmp_path: Path) -> None:
    private_sqlite_file("sqlite://")
    private_sqlite_file("sqlite:///:memory:")
    assert list(tmp_path.iterdir()) == []
