"""Updates that roll back, end to end on loopback: an operator stages a version for a
terminal with `kiosk-backend release`, the terminal's heartbeat writes it where the
root update agent reads it; the root scripts' outcome reaches the backend once, and a
rollback is an alert, withdraws the staging and shows in `release list`
(docs/updates.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.cli import main as backend_cli
from backend.db import Alert, AuditEntry, StoredRecord
from backend.db import Terminal as TerminalRow
from kiosk.sync.link import Link
from kiosk.updates import UpdateFolders
from tests.services.backend import LiveBackend
from tests.sync.conftest import Terminal, enrol
from wire import __version__
from wire.sync import Heartbeat, OutboxReport

NEWER = "0.2.0-1"
assert __version__ == "0.1.0", "the versions below are chosen around this one"


@pytest.fixture
def folders(tmp_path: Path) -> UpdateFolders:
    (tmp_path / "kiosk-updates").mkdir()
    return UpdateFolders.of(tmp_path / "kiosk-updates", tmp_path / "kiosk.db")


@pytest.fixture
def link(terminal: Terminal, folders: UpdateFolders) -> Link:
    return Link(terminal.client, terminal.outbox, batch_size=50, updates=folders)


def release(
    live_backend: LiveBackend, *args: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    capsys.readouterr()
    settings = live_backend.settings
    code = backend_cli(
        ["release", *args, "--db", settings.db_url, "--data", str(settings.data_dir)]
    )
    out, err = capsys.readouterr()
    return code, out, err


def _row(live_backend: LiveBackend, terminal_id: str) -> TerminalRow:
    with Session(live_backend.app.state.engine) as db:
        row = db.get(TerminalRow, terminal_id)
        assert row is not None
        return row


def _wanted(folders: UpdateFolders) -> str | None:
    path = folders.own / "wanted"
    return path.read_text() if path.exists() else None


def test_a_staged_version_is_written_for_the_root_agent_and_unstaging_removes_it(
    terminal: Terminal, link: Link, folders: UpdateFolders, live_backend: LiveBackend,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    terminal_id = terminal.identity.terminal_id
    assert link.heartbeat().staged_version is None
    assert _wanted(folders) is None
    code, out, err = release(live_backend, "stage", NEWER, "--terminal", terminal_id,
                             capsys=capsys)  # fmt: skip
    assert (code, err) == (0, "")
    assert out == f"{NEWER} staged for 1 terminal(s): {terminal_id}\n"
    assert link.heartbeat().staged_version == NEWER
    assert _wanted(folders) == NEWER + "\n"
    assert (folders.own.stat().st_mode & 0o777) == 0o700
    code, out, _ = release(live_backend, "unstage", "--terminal", terminal_id, capsys=capsys)
    assert code == 0 and "nothing staged for 1 terminal(s)" in out
    assert link.heartbeat().staged_version is None
    assert _wanted(folders) is None
    # a version not newer than the one running is nothing to install
    assert release(live_backend, "stage", "0.1.0~rc1", "--all", capsys=capsys)[0] == 0
    assert link.heartbeat().staged_version is None and _wanted(folders) is None
    with Session(live_backend.app.state.engine) as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target == terminal_id))
        assert list(actions) == ["release_stage", "release_unstage", "release_stage"]


def test_a_terminal_that_takes_no_updates_is_named_no_version(
    terminal: Terminal, live_backend: LiveBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    """A terminal older than staging (no `update` in its heartbeat) refuses a field it
    does not know: the answer has none, staged or not."""
    release(live_backend, "stage", NEWER, "--all", capsys=capsys)
    beat = Heartbeat(terminal_time=terminal.client.clock(), software_version="0.0.9",
                     outbox=OutboxReport(depth=0))  # fmt: skip
    answer = terminal.client.call("POST", "/v1/heartbeat", beat).json()
    assert "staged_version" not in answer and "config_etag" in answer
    assert terminal.link.heartbeat().staged_version is None  # a link with no folders


def test_an_outcome_reaches_the_backend_once_and_a_rollback_is_alerted_and_withdrawn(
    terminal: Terminal, link: Link, folders: UpdateFolders, live_backend: LiveBackend,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    terminal_id = terminal.identity.terminal_id
    release(live_backend, "stage", NEWER, "--terminal", terminal_id, capsys=capsys)
    link.heartbeat()
    assert _wanted(folders) == NEWER + "\n"
    # the root agent installed it; the start guard has it on probation
    (folders.state_dir / "pending.json").write_text(json.dumps(
        {"from": "0.1.0", "to": NEWER, "since": 1700000000, "attempts": 2}
    ))  # fmt: skip
    link.heartbeat()
    assert _row(live_backend, terminal_id).update_probation == NEWER
    # the new version failed its self-test: the root scripts put 0.1.0 back
    (folders.state_dir / "pending.json").unlink()
    reason = "self-test failed: receipt_printer no_device"
    (folders.state_dir / "outcome.json").write_text(json.dumps(
        {"from": "0.1.0", "to": NEWER, "result": "rolled_back", "reason": reason,
         "at": 1700000100}
    ))  # fmt: skip
    reply = link.heartbeat()
    # the record went before the heartbeat: the staging is withdrawn in the same answer
    assert reply.staged_version is None and _wanted(folders) is None
    for _ in range(3):
        link.heartbeat()
        link.relay.drain()
    with Session(live_backend.app.state.engine) as db:
        records = list(
            db.scalars(select(StoredRecord).where(StoredRecord.kind == "update_outcome"))
        )
        alerts = list(db.scalars(select(Alert).where(Alert.terminal_id == terminal_id)))
        withdrawn = db.scalars(select(AuditEntry).where(AuditEntry.action == "release_withdrawn"))
        assert [entry.actor for entry in withdrawn] == [terminal_id]
    assert len(records) == 1
    assert records[0].body == {"from": "0.1.0", "to": NEWER, "result": "rolled_back",
                               "reason": reason, "at": 1700000100}  # fmt: skip
    assert [(a.kind, a.detail) for a in alerts] == [
        ("update_rolled_back", f"{NEWER} rolled back to 0.1.0: {reason}")
    ]
    row = _row(live_backend, terminal_id)
    assert row.staged_version is None and row.update_probation is None
    code, out, _ = release(live_backend, "list", capsys=capsys)
    assert code == 0
    header, line = out.splitlines()
    assert header.split("\t")[:4] == ["terminal", "name", "running", "staged"]
    assert line.split("\t") == [terminal_id, "-", __version__, "-", "-",
                                f"0.1.0 -> {NEWER} rolled_back: {reason}"]  # fmt: skip
    # a later outcome (the operator staged it again, it went in) is reported too
    (folders.state_dir / "outcome.json").write_text(json.dumps(
        {"from": "0.1.0", "to": NEWER, "result": "installed", "at": 1700009999}
    ))  # fmt: skip
    link.heartbeat()
    assert _row(live_backend, terminal_id).last_update["result"] == "installed"


def test_a_malformed_outcome_is_not_sent(
    link: Link, folders: UpdateFolders, terminal: Terminal, caplog: pytest.LogCaptureFixture
) -> None:
    (folders.state_dir / "outcome.json").write_text('{"from": "0.1.0", "to": "x y", "at": 1}')
    link.heartbeat()
    assert terminal.outbox.status()["depth"] == 0
    assert "outcome.json is malformed, ignored" in caplog.text


def test_bad_input_is_one_line_and_a_non_zero_exit(
    terminal: Terminal, live_backend: LiveBackend, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    other = enrol(live_backend, tmp_path / "other.json", name="东城\t岗亭")
    for args, says in [
        (["stage", "0.2.0; reboot", "--all"], "'0.2.0; reboot' is not a Debian version"),
        (["stage", "0.2.0", "--terminal", other.terminal_id, "--terminal", "T000000000000"],
         "no terminal 'T000000000000'"),
        (["unstage", "--terminal", "nonsense"], "no terminal 'nonsense'"),
    ]:  # fmt: skip
        code, out, err = release(live_backend, *args, capsys=capsys)
        assert (code, out) == (2, ""), err
        assert err.count("\n") == 1 and err.startswith("kiosk-backend: release ") and says in err
    # nothing was staged by the refused command, not even for the terminal that exists
    assert _row(live_backend, other.terminal_id).staged_version is None
    assert backend_cli(["release", "stage", "0.2.0"]) == 2  # neither --terminal nor --all
    assert "one of the arguments --terminal --all is required" in capsys.readouterr().err
    code, out, _ = release(live_backend, "stage", "0.2.0", "--all", capsys=capsys)
    assert code == 0 and "for 2 terminal(s)" in out
    listed = release(live_backend, "list", capsys=capsys)[1]
    assert "东城 岗亭" in listed  # a tab in a name does not shift the columns
    assert all(len(line.split("\t")) == 6 for line in listed.splitlines())


def test_a_bad_version_from_the_backend_is_never_written(
    link: Link, folders: UpdateFolders, live_backend: LiveBackend, terminal: Terminal,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """A version that passed no `release stage` (put in the table by hand) is not named;
    one that reached the terminal anyway is refused there, and `wanted` goes."""
    with Session(live_backend.app.state.engine) as db, db.begin():
        row = db.get(TerminalRow, terminal.identity.terminal_id)
        assert row is not None
        row.staged_version = "9.0-"
    assert link.heartbeat().staged_version is None
    link._wanted("0.2.0")
    assert _wanted(folders) == "0.2.0\n"
    link._wanted("9.0-")  # what the wire's pattern lets through, the contract does not
    assert _wanted(folders) is None
    assert "the backend staged '9.0-', which is not a Debian version: ignored" in caplog.text
