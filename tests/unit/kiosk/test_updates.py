"""The app's side of the update contract (kiosk/updates.py): what the root scripts
write is read tolerantly, what the app writes is a version and nothing else."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from kiosk.updates import (
    IN_SESSION,
    SessionMark,
    UpdateFilesError,
    clear_wanted,
    confirm,
    own_folder,
    read_outcome,
    read_pending,
    read_wanted,
    write_wanted,
)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "kiosk-updates"
    folder.mkdir()
    return folder


@pytest.fixture
def own(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()  # the database's folder: there before the app runs
    return own_folder(tmp_path / "data" / "kiosk.db")


def _pending(state: Path, **fields: object) -> None:
    body = {"from": "0.1.0", "to": "0.2.0-1", "since": 1700000000, "attempts": 1, **fields}
    (state / "pending.json").write_text(json.dumps(body))


def test_missing_files_are_none_and_say_nothing(state: Path, caplog) -> None:
    assert read_pending(state) is None and read_outcome(state) is None
    assert read_pending(state / "absent") is None
    assert caplog.records == []


def test_the_root_scripts_files_are_read(state: Path) -> None:
    _pending(state, extra="a later field")
    pending = read_pending(state)
    assert pending is not None
    assert (pending.from_version, pending.to_version, pending.attempts) == ("0.1.0", "0.2.0-1", 1)
    (state / "outcome.json").write_text(json.dumps(
        {"from": "0.1.0", "to": "0.2.0-1", "result": "rolled_back",
         "reason": "self-test failed:\n  printer\x00 " + "x" * 300, "at": 1700000100.5}
    ))  # fmt: skip
    outcome = read_outcome(state)
    assert outcome is not None and outcome.result == "rolled_back"
    assert outcome.reason.startswith("self-test failed: printer x") and len(outcome.reason) == 200
    assert outcome.model_dump(by_alias=True)["from"] == "0.1.0"


@pytest.mark.parametrize(
    "text, says",
    [
        ("{not json", "Expecting property name"),
        ("[1, 2]", "the file"),
        ('{"from": "0.1.0", "to": "0.2.0"}', "since"),
        ('{"from": "0.1.0", "to": "../../etc", "since": 1, "attempts": 0}', "to"),
        ('{"from": "0.1.0", "to": "0.2.0", "since": 1, "attempts": -1}', "attempts"),
        ('{"from": "0.1.0", "to": "0.2.0", "since": NaN, "attempts": 1}', "since"),
        ("\xff\xfe", "utf-8"),
        ('{"from": "0.1.0"' + " " * 5000 + "}", "longer than 4096 bytes"),
    ],
)
def test_a_malformed_pending_is_one_warning_line_never_a_traceback(
    state: Path, caplog, text: str, says: str
) -> None:
    (state / "pending.json").write_bytes(text.encode("latin-1"))
    with caplog.at_level(logging.WARNING, "kiosk.updates"):
        assert read_pending(state) is None
    [record] = caplog.records
    line = record.getMessage()
    assert "pending.json is malformed, ignored" in line and says in line, line
    assert "\n" not in line and record.exc_info is None


def test_a_malformed_outcome_is_ignored(state: Path, caplog) -> None:
    (state / "outcome.json").write_text(
        '{"from": "0.1.0", "to": "0.2.0", "result": "maybe", "at": 1}'
    )
    with caplog.at_level(logging.WARNING, "kiosk.updates"):
        assert read_outcome(state) is None
    assert "outcome.json is malformed, ignored: result" in caplog.text


def test_wanted_is_written_whole_in_a_private_folder_and_cleared(own: Path) -> None:
    assert write_wanted(own, "0.2.0-1")
    assert (own / "wanted").read_text() == "0.2.0-1\n"
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    assert not write_wanted(own, "0.2.0-1")  # the same: not written again
    assert read_wanted(own) == "0.2.0-1"
    assert write_wanted(own, "0.3.0")
    assert (own / "wanted").read_text() == "0.3.0\n"
    assert sorted(p.name for p in own.iterdir()) == ["wanted"]  # no temporary left
    assert clear_wanted(own)
    assert not (own / "wanted").exists() and not clear_wanted(own)


def test_the_folder_mode_is_put_right(own: Path) -> None:
    own.mkdir(mode=0o755)
    own.chmod(0o755)
    write_wanted(own, "1.0")
    assert stat.S_IMODE(own.stat().st_mode) == 0o700


@pytest.mark.parametrize("version", ["", "1.0\nrm -rf /", "../x", "a1", "1" * 41, "1.0-"])
def test_a_bad_version_from_the_backend_is_never_written(own: Path, version: str) -> None:
    with pytest.raises(ValueError, match="not a Debian version"):
        write_wanted(own, version)
    assert not (own / "wanted").exists()


def test_a_link_at_the_name_is_replaced_not_followed(own: Path, tmp_path: Path) -> None:
    own.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (own / "wanted").symlink_to(victim)
    assert write_wanted(own, "0.2.0")
    assert victim.read_text() == "precious\n"
    assert not (own / "wanted").is_symlink() and (own / "wanted").read_text() == "0.2.0\n"
    (own / "confirmed").symlink_to(victim)
    (own / "wanted").unlink()
    (own / "wanted").symlink_to(victim)
    assert clear_wanted(own)  # the link goes, not what it points to
    assert victim.exists()


def test_a_link_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    own = tmp_path / "update"
    own.symlink_to(elsewhere)
    with pytest.raises(UpdateFilesError, match="not a folder"):
        write_wanted(own, "0.2.0")
    assert list(elsewhere.iterdir()) == []


def test_a_file_in_place_of_the_folder_is_an_update_files_error(own: Path) -> None:
    own.write_text("not a folder")
    with pytest.raises(UpdateFilesError, match="update: not a folder"):
        write_wanted(own, "0.2.0")


def test_a_folder_of_another_user_is_refused(own: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("only root can give a folder away")
    own.mkdir(mode=0o700)
    os.chown(own, 65534, 65534)
    with pytest.raises(UpdateFilesError, match="not this user's folder"):
        write_wanted(own, "0.2.0")
    assert list(own.iterdir()) == []


def test_confirmed_only_for_the_version_on_probation(state: Path, own: Path) -> None:
    assert not confirm(state, own, "0.2.0-1")  # nothing on probation
    assert not own.exists()
    _pending(state)
    assert not confirm(state, own, "0.1.0")  # the old version runs: nothing to confirm
    assert not (own / "confirmed").exists()
    assert confirm(state, own, "0.2.0-1")
    assert (own / "confirmed").read_text() == "0.2.0-1\n"


def test_the_in_session_mark_follows_the_session_and_a_stale_one_goes_at_the_start(
    own: Path,
) -> None:
    own.mkdir(mode=0o700)
    (own / IN_SESSION).write_text("1\n")  # left by a crash in the middle of a session
    mark = SessionMark(own)
    mark.set(False)  # the app's start
    assert not (own / IN_SESSION).exists()
    mark.set(True)
    assert (own / IN_SESSION).read_text() == "1\n"
    mark.set(True)  # screen changes within the session write nothing again
    mark.set(False)
    assert not (own / IN_SESSION).exists()


def test_an_in_session_mark_that_cannot_be_written_is_one_error_not_a_crash(
    own: Path, caplog: pytest.LogCaptureFixture
) -> None:
    own.parent.joinpath("elsewhere").mkdir()
    own.symlink_to(own.parent / "elsewhere")  # update/ is a link: nothing is written there
    with caplog.at_level(logging.ERROR, "kiosk.updates"):
        SessionMark(own).set(True)
    assert not (own.parent / "elsewhere" / IN_SESSION).exists()
    assert len(caplog.records) == 1 and "in-session" in caplog.records[0].getMessage()
