"""Updates that roll back: the terminal app's side of the file contract with the
package's root scripts (docs/updates.md).

The root scripts write in `[updates] state_dir` (root's; the app only reads it):
`pending.json` while an update is on probation, `outcome.json` when the probation
ends. The app writes in `update/` beside its database (0700, its own), which the root
scripts read and hold to a version string: `wanted` (the version the backend staged
for this terminal) and `confirmed` (this version started well). Each is one line,
written to a temporary file in the folder and renamed over the name, so a reader
never sees half a file and a link planted at the name is replaced, never followed.

Nothing here raises on a missing or malformed file from the root side: a missing one
is None, a malformed one is None and one warning line in the log.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wire.versions import valid_version

log = logging.getLogger("kiosk.updates")

PENDING = "pending.json"
OUTCOME = "outcome.json"
WANTED = "wanted"
CONFIRMED = "confirmed"
IN_SESSION = "in-session"
OWN_FOLDER = "update"
_READ_MAX = 4096  # the root's files are a line of JSON; anything longer is not theirs
_REASON_MAX = 200


class UpdateFilesError(Exception):
    """A file of the app's `update/` folder could not be written (the folder is not
    the app's, the disk is full): the message names the path."""


class _RootFile(BaseModel):
    # JSON's NaN and infinity are no times; a later field is no harm
    model_config = ConfigDict(
        extra="ignore", populate_by_name=True, frozen=True, allow_inf_nan=False
    )

    from_version: str = Field(alias="from")
    to_version: str = Field(alias="to")

    @field_validator("from_version", "to_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not valid_version(value):
            raise ValueError("not a Debian version")
        return value


class Pending(_RootFile):
    """An update on probation: installed, not yet confirmed by a good start."""

    since: float
    attempts: int = Field(ge=0, le=2**31 - 1)


class Outcome(_RootFile):
    """How the last probation ended: `failed` is the new version failing with no
    rollback possible."""

    result: Literal["installed", "rolled_back", "failed"]
    reason: str = ""
    at: float

    @field_validator("reason")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # the report matters more than its form: a long or multi-line reason is cut
        printable = "".join(c if c.isprintable() else " " for c in value)
        return " ".join(printable.split())[:_REASON_MAX]


_File = TypeVar("_File", bound=_RootFile)


@dataclass(frozen=True)
class UpdateFolders:
    """Where the two sides of the contract write: the root scripts' `state_dir`, and
    the app's own `update/` folder."""

    state_dir: Path
    own: Path

    @classmethod
    def of(cls, state_dir: Path, database: Path) -> UpdateFolders:
        return cls(state_dir, own_folder(database))


def own_folder(database: Path) -> Path:
    """The app's `update/` folder: beside its database (`[cache] database`)."""
    return database.parent / OWN_FOLDER


def read_pending(state_dir: Path) -> Pending | None:
    return _read(state_dir / PENDING, Pending)


def read_outcome(state_dir: Path) -> Outcome | None:
    return _read(state_dir / OUTCOME, Outcome)


def _read(path: Path, model: type[_File]) -> _File | None:
    try:
        with path.open("rb") as file:
            raw = file.read(_READ_MAX + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("update: cannot read %s: %s", path, exc.strerror or exc)
        return None
    try:
        if len(raw) > _READ_MAX:
            raise ValueError(f"longer than {_READ_MAX} bytes")
        return model.model_validate(json.loads(raw.decode("utf-8")))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the file"
        log.warning("update: %s is malformed, ignored: %s: %s", path, where, error["msg"])
    except ValueError as exc:  # not UTF-8, not JSON, too long
        log.warning("update: %s is malformed, ignored: %s", path, str(exc).splitlines()[0])
    return None


def read_wanted(folder: Path) -> str | None:
    """The version last written to `wanted`, if it is one."""
    try:
        with (folder / WANTED).open("rb") as file:
            text = file.read(64).decode("ascii", "replace").strip()
    except OSError:
        return None
    return text if valid_version(text) else None


def write_wanted(folder: Path, version: str) -> bool:
    """`wanted` names `version` (the backend's staging for this terminal); true when it
    changed. ValueError for something that is not a version: it is never written."""
    if not valid_version(version):
        raise ValueError(f"not a Debian version: {version[:60]!r}")
    if read_wanted(folder) == version and not (folder / WANTED).is_symlink():
        return False
    _write_line(folder, WANTED, version)
    log.info("update: the backend staged %s for this terminal", version)
    return True


def clear_wanted(folder: Path) -> bool:
    """No `wanted` (nothing staged); true when there was one."""
    try:
        (folder / WANTED).unlink()  # a link is removed itself, never what it points to
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise UpdateFilesError(f"{folder / WANTED}: {exc.strerror or exc}") from None
    log.info("update: nothing is staged for this terminal any more")
    return True


def confirm(state_dir: Path, folder: Path, version: str) -> bool:
    """After a good start: `confirmed` names `version`, when it is the version on
    probation (else there is nothing to confirm: false)."""
    pending = read_pending(state_dir)
    if pending is None or pending.to_version != version:
        return False
    _write_line(folder, CONFIRMED, version)
    log.info("update: %s started well: confirmed", version)
    return True


class SessionMark:
    """`update/in-session` while a citizen is being served: the root update agent
    waits for the session's end instead of stopping the kiosk under a citizen
    (docs/updates.md). Only a change is written; the first `set` (at the start)
    removes a mark a crash left behind. Never raises: a mark that cannot be written
    is one error line, and the agent then sees no session (as before this mark)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._on: bool | None = None

    def set(self, on: bool) -> None:
        if on == self._on:
            return
        self._on = on
        try:
            if on:
                _replace(self.folder, IN_SESSION, "1")
            else:
                (self.folder / IN_SESSION).unlink(missing_ok=True)
        except (OSError, UpdateFilesError) as exc:
            log.error("update: the in-session mark could not be %s: %s",
                      "written" if on else "removed", exc)  # fmt: skip


def _write_line(folder: Path, name: str, version: str) -> None:
    if not valid_version(version):
        raise ValueError(f"not a Debian version: {version[:60]!r}")
    _replace(folder, name, version)


def _replace(folder: Path, name: str, line: str) -> None:
    """`name` in the folder holds `line`, written whole or not at all."""
    try:
        _own(folder)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:
                file.write(line + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, folder / name)  # replaces a link at the name, never follows
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)
    except OSError as exc:
        raise UpdateFilesError(f"{folder / name}: {exc.strerror or exc}") from None


def _own(folder: Path) -> None:
    """The folder is there, a real folder of this user's, 0700."""
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    found = folder.lstat()
    if not stat.S_ISDIR(found.st_mode):
        raise UpdateFilesError(f"{folder}: not a folder (a link?): nothing written there")
    if found.st_uid != os.getuid():
        raise UpdateFilesError(f"{folder}: not this user's folder: nothing written there")
    if stat.S_IMODE(found.st_mode) != 0o700:
        folder.chmod(0o700)
