"""First boot, without a screen: when it applies, the commissioning slip, the steps'
outcomes on devices that pass, fail or are missing, and the codes a technician types."""

from __future__ import annotations

import re
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from drivers.receipt_printer.slip import Slip, Text
from kiosk.commissioning import Commissioner, needs_commissioning
from kiosk.config import load
from kiosk.documents.commissioning import Commissioned, DeviceCheck, commissioning_slip
from kiosk.strings import catalogue
from kiosk.sync.enrolment import Enrolled, typed_code


def config_in(tmp_path: Path, **env: str):
    paths = {"KIOSK__BACKEND__IDENTITY_FILE": str(tmp_path / "identity.json"),
             "KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db")}  # fmt: skip
    return load(env={**paths, **env}).config


@pytest.mark.parametrize(
    ("identity", "simulated", "embedded", "expected"),
    [
        (False, False, True, True),  # a fresh install
        (False, True, False, True),  # simulated devices, a backend elsewhere
        (False, True, True, False),  # `make run`: the embedded backend enrols it
        (True, False, True, False),  # enrolled
        (True, True, False, False),
    ],
)
def test_first_boot_is_no_identity_and_nothing_else_to_enrol_it(
    tmp_path, identity, simulated, embedded, expected
):
    config = config_in(tmp_path, KIOSK__BACKEND__EMBEDDED=str(embedded).lower())
    if identity:
        config.backend.identity_file.write_text("{}")
    assert needs_commissioning(config, simulated) is expected


def lines(slip: Slip) -> list[str]:
    return [e.text for e in slip.elements if isinstance(e, Text)]


def test_the_slip_says_which_terminal_how_each_device_did_and_leaves_a_signature_line():
    done = Commissioned("T-0042", "东城1号", "东城派出所", "https://backend.example:8470", "0.1.0",
                        datetime(2026, 12, 5, 2, 10),
                        (DeviceCheck("receipt_printer", True, "success"),
                         DeviceCheck("camera", False, "hardware_error/no_frames")))  # fmt: skip
    printed = "\n".join(lines(commissioning_slip(done, "en", catalogue())))
    for expected in ("Commissioning slip", "Terminal: T-0042", "Name: 东城1号",
                     "Location: 东城派出所", "Backend: https://backend.example:8470",
                     "Software version: 0.1.0", "Time: 2026-12-05 02:10",
                     "receipt_printer: passed", "camera: FAILED (hardware_error/no_frames)",
                     "Technician's signature"):  # fmt: skip
        assert expected in printed
    chinese = "\n".join(lines(commissioning_slip(done, "zh_CN", catalogue())))
    assert "终端开通单" in chinese and "camera: 未通过（hardware_error/no_frames）" in chinese
    none = Commissioned("T-0042", "", "", "http://127.0.0.1:1", "0.1.0", datetime(2026, 1, 1), ())
    assert "no devices configured" in "\n".join(lines(commissioning_slip(none, "en", catalogue())))


@dataclass
class Done:
    ok: bool
    error: str = ""

    @property
    def code(self):
        from drivers.model import Code

        return Code.SUCCESS if self.ok else Code.HARDWARE_ERROR


class Driver:
    def __init__(self, ok: bool = True, broken: bool = False) -> None:
        self.ok, self.broken = ok, broken
        self.printed: list[Slip] = []

    def _done(self) -> Future:
        if self.broken:
            raise RuntimeError("a driver's bug")
        future: Future = Future()
        future.set_result(Done(self.ok, "" if self.ok else "paper_out"))
        return future

    def self_test(self) -> Future:
        return self._done()

    def print_slip(self, slip: Slip) -> Future:
        self.printed.append(slip)
        return self._done()


def test_each_device_is_tested_and_a_failure_or_a_bug_fails_only_that_device(tmp_path):
    drivers = {
        "receipt_printer": Driver(),
        "camera": Driver(ok=False),
        "scanner": Driver(broken=True),
    }
    steps = Commissioner(config_in(tmp_path), drivers, list, catalogue())
    assert steps.devices() == ["receipt_printer", "camera", "scanner"]
    assert steps.self_test("receipt_printer") == DeviceCheck("receipt_printer", True, "success")
    assert steps.self_test("camera") == DeviceCheck("camera", False, "hardware_error/paper_out")
    assert steps.self_test("scanner") == DeviceCheck("scanner", False, "internal_error")
    assert steps.self_test("fingerprint") == DeviceCheck("fingerprint", False, "no_driver")
    # no drivers at all: the configured devices, each failing as having none
    bare = Commissioner(config_in(tmp_path), {}, lambda: ["id_card"], catalogue())
    assert bare.devices() == ["id_card"] and not bare.self_test("id_card").ok


def test_the_slip_goes_to_the_receipt_printer_or_says_why_not(tmp_path):
    enrolled = Enrolled("T-0042", "http://127.0.0.1:1", tmp_path / "identity.json", None)
    checks = [DeviceCheck("receipt_printer", True, "success")]
    printer = Driver()
    steps = Commissioner(config_in(tmp_path), {"receipt_printer": printer}, list, catalogue())
    assert steps.print_slip(enrolled, checks) == "printed"
    assert any("T-0042" in line for line in lines(printer.printed[0]))
    jammed = Commissioner(config_in(tmp_path), {"receipt_printer": Driver(ok=False)}, list,
                          catalogue())  # fmt: skip
    assert jammed.print_slip(enrolled, checks) == "hardware_error"
    assert Commissioner(config_in(tmp_path), {}, list, catalogue()).print_slip(
        enrolled, checks) == "no_printer"  # fmt: skip


def test_a_typed_code_takes_the_backends_form():
    assert typed_code("abcd efgh jkl mnpqr") == "ABCD-EFGH-JKLM-NPQR"
    assert typed_code(" abcd-efgh-jklm-npqr ") == "ABCD-EFGH-JKLM-NPQR"
    assert typed_code("abc") == "ABC"  # not the backend's: sent as typed, refused there


def test_every_error_of_the_enrolment_has_its_words_on_the_screen():
    import inspect

    from kiosk.sync import enrolment
    from ui.commissioning import ERRORS

    source = inspect.getsource(enrolment)
    raised = set(re.findall(r'"(enroll\.[a-z_]+)"', source))
    assert raised and raised <= set(ERRORS), raised - set(ERRORS)
    known = catalogue().ids()
    assert all(message in known for _, message in ERRORS.values())
