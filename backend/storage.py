"""The backend's files on disk, private to the user it runs as from the moment they
exist: its data folder 0700, its SQLite database and the database's -wal and -shm
files 0600 (they hold citizens' applications and photos).

A file or folder found open to other users is tightened (group and other bits
removed) with one warning line, not refused: the fix is unambiguous, refusing would
only keep the backend down while the booths queue their records, and a database
cannot be "rotated" the way a key can. Key files are the exception (backend/issuer.py
refuses one others could read): a key others could read must be presumed copied, and
whether to make new keys is a person's decision.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
OTHERS = 0o077  # every permission bit of the group and of other users
# SQLite's companions of a database file: they hold the same data
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class StorageError(Exception):
    """A file or folder that cannot be made private: the message names it and why."""


def private_dir(path: Path) -> Path:
    """The folder, made 0700 if missing (its missing parents as the umask says), or
    tightened if other users may enter or list it."""
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except FileExistsError:
        raise StorageError(f"{path}: not a folder") from None
    except OSError as exc:
        raise StorageError(f"{path}: cannot make the folder: {exc.strerror}") from None
    tighten(path)
    return path


def private_file(path: Path) -> Path:
    """The file, made empty and 0600 if missing (never wider, whatever the umask), or
    tightened if other users may read it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        os.close(descriptor)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StorageError(f"{path}: cannot make the file: {exc.strerror}") from None
    tighten(path)
    return path


def private_sqlite_file(url: str) -> None:
    """Before SQLAlchemy opens a SQLite URL: the file exists and is 0600, so SQLite
    makes its -wal and -shm with the same mode (it copies the database's); side files
    left by an earlier, looser run are tightened. An in-memory database has no file.
    The folder is made 0700 when missing; an existing one is left as it is (`--db`
    may name a file in a shared folder)."""
    database = make_url(url).database
    if not database or database.startswith((":memory:", "file:")):
        return
    path = Path(database)
    if not path.parent.exists():
        private_dir(path.parent)
    private_file(path)
    for suffix in SQLITE_SIDE_FILES:
        tighten(path.with_name(path.name + suffix))


def tighten(path: Path) -> None:
    """Removes the group's and other users' permissions, with a warning naming the
    file and both modes; nothing when it is private already, or gone."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if not mode & OTHERS:
        return
    private = mode & ~OTHERS
    try:
        os.chmod(path, private)
    except OSError as exc:
        raise StorageError(
            f"{path}: open to other users (mode {mode:04o}) and cannot be tightened "
            f"({exc.strerror}): chmod go= it as its owner"
        ) from None
    log.warning("%s was open to other users (mode %04o): tightened to %04o", path, mode, private)


def write_key_file(path: Path, body: dict[str, Any], *, replace: bool = True) -> None:
    """A key file written whole or not at all: a temporary file, made 0600, synced,
    then moved into place (`replace`: over the old one; else only if there is none),
    and the folder synced, so that a power cut leaves the old keys or the new ones."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
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
def key_file_locked(path: Path) -> Iterator[None]:
    """One process at a time makes or changes the key file at `path` (a lock file
    beside it): two API processes starting at once would each add a key, and one of
    them would be lost with what it sealed or signed."""
    lock = path.with_name(path.name + ".lock")
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when closed
        yield
    finally:
        os.close(descriptor)


def file_stamp(path: Path) -> tuple[int, int, int]:
    """What changes when a file is replaced or written (inode, mtime, size): a running
    backend reads a key file again when another process changed it."""
    found = path.stat()
    return found.st_ino, found.st_mtime_ns, found.st_size
