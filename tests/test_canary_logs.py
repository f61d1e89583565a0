"""The canary citizen goes through everything that logs; no log shows them.

Later issues add their parts (flows, drivers, sync, screens) to `run_canary`.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config, logs
from kiosk.privacy import PersonalKind, Redactor
from tests import canary

KIOSK = str(Path(sys.executable).parent / "kiosk")


def run_canary(log_dir: Path, sensitive: str) -> str:
    """Everything that exists handles the canary; returns what went to stderr."""
    import io

    stream = io.StringIO()
    redactor = Redactor()
    section = config.LoggingSection(level="DEBUG", dir=log_dir, sensitive=sensitive)
    logs.setup(section, redactor, stream=stream)
    # The session tells the redactor who the citizen is, as the ID-card step will.
    redactor.remember(canary.NAME, PersonalKind.NAME)
    redactor.remember(canary.ADDRESS, PersonalKind.ADDRESS)

    app = logging.getLogger("kiosk.flows.session")
    app.info("card read for %s, id %s", canary.NAME, canary.ID_NUMBER)
    app.info("contact", extra={"phone": canary.PHONE, "holder_name": canary.NAME})
    app.info(
        "citizen",
        extra={
            "citizen": {
                "name": canary.NAME,
                "address": canary.ADDRESS,
                "phone": "139 1234 5678",
                "photo": b"\xff" * 64,
            }
        },
    )
    app.info("lives at %s", canary.ADDRESS)
    logging.getLogger("kiosk.payment").info("scanned code %s", canary.PAYMENT_CODE)
    logging.getLogger("kiosk.drivers.id_card").warning("checksum bad in %s", canary.ID_NUMBER)
    logging.getLogger("urllib3").debug("POST /people?id=%s", canary.ID_NUMBER.lower())
    try:
        raise ValueError(f"no record for {canary.NAME} {canary.ID_NUMBER} {canary.PHONE}")
    except ValueError:
        app.exception("lookup failed")
    app.info("where", stack_info=True, extra={"who": canary.NAME})
    frames = logging.getLogger("kiosk.sensitive.frames.id_card")
    frames.debug("rx name=%s id=%s", canary.NAME, canary.ID_NUMBER)
    redactor.forget_all()  # the session ends
    for handler in logging.getLogger().handlers + logging.getLogger(logs.SENSITIVE).handlers:
        handler.flush()
    return stream.getvalue()


def test_no_log_shows_the_canary(tmp_path, restore_logging):
    stderr = run_canary(tmp_path, sensitive="redacted")
    assert (tmp_path / logs.SENSITIVE_FILE).stat().st_size > 0  # the channel was used
    assert canary.leaks_in_tree(tmp_path) == []
    assert canary.leaks(stderr) == []
    assert "110105********002X" in (tmp_path / logs.MAIN_FILE).read_text()


def test_the_canary_check_can_fail(tmp_path, restore_logging):
    """With the sensitive channel in clear (a bench setting), the grep finds them."""
    run_canary(tmp_path, sensitive="clear")
    leaked = canary.leaks_in_tree(tmp_path)
    assert leaked and all(logs.SENSITIVE_FILE in line for line in leaked)


@pytest.mark.parametrize(
    "args",
    [
        ["flow", "run", canary.ID_NUMBER],
        ["config", "check", f"/nonexistent/{canary.ID_NUMBER}-{canary.PHONE}.toml"],
        ["strings", "show", canary.ID_NUMBER],
    ],
)
def test_the_cli_does_not_echo_the_canary(tmp_path, args):
    conf = tmp_path / "kiosk.toml"
    conf.write_text(f'[logging]\ndir = "{tmp_path / "log"}"\nlevel = "DEBUG"\n')
    result = subprocess.run(
        [KIOSK, "--config", str(conf), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert canary.leaks(result.stdout + result.stderr) == []
    assert canary.leaks_in_tree(tmp_path) == []


def test_device_frame_traces_withhold_personal_data(tmp_path, restore_logging):
    """The ID card's frames (the name and ID number in UCS-2) reach the sensitive
    channel only withheld, in its default redacted mode."""
    import threading

    from drivers.id_card.driver import SamIdCardReader
    from drivers.id_card.simulator import SamSimulator

    logs.setup(
        config.LoggingSection(level="DEBUG", dir=tmp_path, sensitive="redacted", stderr=False),
        Redactor(),
    )
    sim = SamSimulator().start()
    reader = SamIdCardReader(str(sim.link))
    try:
        reader.open().result()
        handle = reader.read_card(3.0)
        threading.Timer(0.2, sim.place_card).start()
        assert handle.result().data["name"] == canary.NAME
    finally:
        reader.close()
        sim.stop()
    logs.shutdown()
    traced = (tmp_path / logs.SENSITIVE_FILE).read_text()
    assert "withheld" in traced  # the frames were traced, as frames are
    for value in (canary.NAME, canary.ID_NUMBER):
        assert value.encode("utf-16-le").hex(" ") not in traced
        assert value not in traced
    assert canary.leaks_in_tree(tmp_path) == []
