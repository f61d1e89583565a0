"""`kiosk sim`, `kiosk devices`, `kiosk conformance` as a technician or vendor runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import serial

KIOSK = str(Path(sys.executable).parent / "kiosk")
REPO = Path(__file__).resolve().parents[2]


def kiosk(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSK, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )


def test_sim_prints_its_port_on_a_line_of_its_own_and_speaks_escpos():
    with subprocess.Popen(
        [KIOSK, "sim", "receipt_printer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    ) as process:
        run_the_console(process)
    assert process.returncode == 0


def run_the_console(process: subprocess.Popen[str]) -> None:
    try:
        assert process.stdout is not None and process.stdin is not None
        process.stdout.readline()
        port = process.stdout.readline().strip()
        assert port.startswith("/dev/pts/")
        said = process.stdout.readline().strip()  # where the slips are kept
        folder = Path(said.removeprefix("printed output is kept in "))
        assert folder.is_dir(), said
        process.stdout.readline()  # the console's help
        with serial.Serial(port, 115200, timeout=2) as link:
            link.write("取号 A001\n".encode("gb18030") + b"\x1dV\x00")  # a line, a cut
            deadline = time.monotonic() + 5
            while not (folder / "slip-1.txt").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert (folder / "slip-1.txt").read_text() == "取号 A001\n[cut]\n"
            link.write(bytes([0x10, 0x04, 0x04]))
            assert link.read(1) == b"\x12"
            process.stdin.write("set paper_mm 0\n")
            process.stdin.flush()
            assert process.stdout.readline().strip() == "ok"
            link.write(bytes([0x10, 0x04, 0x04]))
            assert link.read(1) == b"\x7e"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert not os.path.exists(port)


def test_devices_list_and_selftest_on_simulators(pcscd_service):
    listed = kiosk("devices", "list", "--sim", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["device"]: r for r in json.loads(listed.stdout)["devices"]}
    every = [
        "id_card",
        "fingerprint",
        "receipt_printer",
        "scanner",
        "card_payment",
        "smartcard",
        "camera",
        "document_printer",
        "ups",
        "card_transport",
        "scanner_a4",
        "card_printer",
        "sensors",
        "lights",
        "signature_pad",
    ]
    assert [rows[d]["state"] for d in every] == ["online"] * len(every)
    assert rows["receipt_printer"]["media"]["paper"] == "ok"
    selftest = json.loads(kiosk("devices", "selftest", "--sim", "--json").stdout)
    results = {r["device"]: r.get("selftest") for r in selftest["devices"]}
    assert [results[d] for d in every] == ["success"] * len(every), selftest["devices"]


def test_conformance_certifies_ours_and_refuses_a_mutant():
    ours = kiosk("conformance", "receipt_printer")
    assert ours.returncode == 0 and ours.stdout.strip().endswith("CERTIFIED")
    mutant = kiosk(
        "conformance",
        "receipt_printer",
        "--driver",
        "tests.mutants.receipt_printer:SwallowsError",
        "--json",
    )
    assert mutant.returncode == 1
    report = json.loads(mutant.stdout)
    failed = [c["name"] for c in report["checks"] if not c["passed"]]
    assert "error codes" in failed


def test_bad_arguments_are_one_line():
    for args in (
        ["conformance", "receipt_printer", "--driver", "nope:X"],
        ["sim", "receipt_printer", "--fault", "gremlin"],
        ["sim", "toaster"],
    ):
        result = kiosk(*args)
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1, result.stderr


def test_faults_from_the_configuration_reach_the_simulator(tmp_path):
    conf = tmp_path / "kiosk.toml"
    conf.write_text(
        '[devices.receipt_printer]\ndriver = "escpos"\nport = "/dev/null"\n'
        '[[devices.receipt_printer.faults]]\nkind = "no_answer"\n'
    )
    result = subprocess.run(
        [KIOSK, "--config", str(conf), "devices", "status", "--sim", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    rows = {r["device"]: r for r in json.loads(result.stdout)["devices"]}
    assert rows["receipt_printer"]["state"] == "offline"
    assert rows["receipt_printer"]["detail"] == "timeout/timeout"
    assert result.returncode == 1


def test_conformance_connect_smoke_tests_a_device_on_a_port():
    """A real device is stood in for by a simulator run on its own (`kiosk sim`)."""
    from drivers.card_payment.simulator import EcrSimulator

    sim = EcrSimulator().start()
    try:
        result = kiosk("conformance", "card_payment", "--connect", sim.pts, "--json")
        report = json.loads(result.stdout)
        assert result.returncode == 0, result.stdout
        assert [c["name"] for c in report["checks"]] == ["open", "status", "self-test"]
    finally:
        sim.stop()
    nothing = kiosk("conformance", "card_payment", "--connect", "/dev/nonexistent")
    assert nothing.returncode == 1 and "FAIL  open" in nothing.stdout
