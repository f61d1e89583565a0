from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

from kiosk import logs
from kiosk.config import LoggingSection
from kiosk.privacy import Redactor


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_json_lines_with_extras_and_levels(tmp_path, restore_logging):
    stream = io.StringIO()
    section = LoggingSection(level="DEBUG", dir=tmp_path)
    logs.setup(section, Redactor(), stderr_level="WARNING", stream=stream)
    logging.getLogger("kiosk.drivers.printer").info("paper %s", "low", extra={"tray": 2})
    logging.getLogger("kiosk.app").warning("backend slow")
    written = lines(tmp_path / logs.MAIN_FILE)
    assert [(r["logger"], r["msg"]) for r in written] == [
        ("kiosk.drivers.printer", "paper low"),
        ("kiosk.app", "backend slow"),
    ]
    assert written[0]["tray"] == 2 and written[0]["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", written[0]["ts"])
    # stderr keeps to warnings for short commands
    assert [json.loads(x)["msg"] for x in stream.getvalue().splitlines()] == ["backend slow"]
    assert (tmp_path / logs.MAIN_FILE).stat().st_mode & 0o777 == 0o640


def test_sensitive_channel_is_off_by_default_and_never_in_the_main_log(tmp_path, restore_logging):
    logs.setup(LoggingSection(dir=tmp_path, stderr=False), Redactor())
    logging.getLogger("kiosk.sensitive.frames.id_card").warning("frame 02 30 03")
    assert (tmp_path / logs.MAIN_FILE).read_text() == ""
    assert not (tmp_path / logs.SENSITIVE_FILE).exists()


def test_sensitive_channel_when_on_has_its_own_file(tmp_path, restore_logging):
    logs.setup(LoggingSection(dir=tmp_path, stderr=False, sensitive="redacted"), Redactor())
    logging.getLogger("kiosk.sensitive.frames.id_card").debug("rx 11010519491231002X")
    assert (tmp_path / logs.MAIN_FILE).read_text() == ""
    assert lines(tmp_path / logs.SENSITIVE_FILE)[0]["msg"] == "rx 110105********002X"


def test_setup_twice_replaces_the_handlers(tmp_path, restore_logging):
    for _ in range(2):
        logs.setup(LoggingSection(dir=tmp_path, stderr=False), Redactor())
    logging.getLogger("kiosk").info("once")
    assert len(lines(tmp_path / logs.MAIN_FILE)) == 1
