"""What every device's conformance suite shares: checks, results, the report."""

from __future__ import annotations

import importlib
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CheckResult:
    name: str
    passed: bool
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    device: str
    driver: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "driver": self.driver,
            "passed": self.passed,
            "checks": [asdict(r) for r in self.results],
        }

    def text(self) -> str:
        lines = [f"conformance of {self.driver} as {self.device}:"]
        lines += [
            f"  {'PASS' if r.passed else 'FAIL'}  {r.name:<28} {r.detail}" for r in self.results
        ]
        passed = sum(r.passed for r in self.results)
        lines.append(
            f"{passed}/{len(self.results)} checks passed: "
            f"{'CERTIFIED' if self.passed else 'NOT CERTIFIED'}"
        )
        return "\n".join(lines)


class CheckFailed(AssertionError):
    pass


def expect(condition: bool, detail: str) -> None:
    if not condition:
        raise CheckFailed(detail)


def run_checks(report: Report, checks: list[tuple[str, Callable[[], str]]]) -> Report:
    for name, check in checks:
        started = time.monotonic()
        try:
            detail = check()
            report.results.append(CheckResult(name, True, detail, time.monotonic() - started))
        except CheckFailed as exc:
            report.results.append(CheckResult(name, False, str(exc), time.monotonic() - started))
        except Exception as exc:  # a crashing driver fails the check, not the kit
            last = traceback.extract_tb(exc.__traceback__)[-1]
            report.results.append(
                CheckResult(
                    name,
                    False,
                    f"{type(exc).__name__}: {exc} ({last.filename}:{last.lineno})",
                    time.monotonic() - started,
                )
            )
    return report


def load_object(path: str) -> Any:
    """`module:name`, as a vendor names their driver class."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"'{path}' is not module:Class")
    module = importlib.import_module(module_name)
    if not hasattr(module, attribute):
        raise ValueError(f"{module_name} has no {attribute}")
    return getattr(module, attribute)


def smoke_test(driver_class: type, driver_name: str, device: str, port: str) -> Report:
    """The fault-free part, against a real device on `port`: open, status, self-test.

    Faults cannot be injected into real hardware; the simulator suite covers them.
    """
    report = Report(device, f"{driver_name} on {port}")
    driver = driver_class(port=port)

    def step(name: str, command: Callable[[], Any]) -> Callable[[], str]:
        def check() -> str:
            done = command().result()
            expect(done.ok, f"{name}: {done.code.value}/{done.error}")
            return f"{done.elapsed_s * 1000:.0f} ms"

        return check

    try:
        run_checks(
            report,
            [
                ("open", step("open", driver.open)),
                ("status", step("status", driver.query_status)),
                ("self-test", step("self-test", driver.self_test)),
            ],
        )
    finally:
        driver.close()
    return report


# --- checks every serial device's suite shares ---------------------------------------
# `bench()` gives a context manager yielding (driver, simulator), the driver opened.

Bench = Callable[[], Any]


def timeout_check(bench: Bench) -> Callable[[], str]:
    """No answer to a status query is a timeout at its deadline, then the device works."""

    def check() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("no_answer")
            started = time.monotonic()
            done = driver.query_status(0.5).result()
            took = time.monotonic() - started
            expect(
                done.code.value == "timeout",
                f"no answer reported as {done.code.value}/{done.error}",
            )
            expect(took < 0.8, f"waited {took:.2f} s for a 0.5 s timeout")
            expect(driver.query_status().result().ok, "not usable after a timeout")
        return f"timeout after {took:.2f} s"

    return check


def bad_frames_check(bench: Bench, faults: tuple[str, ...]) -> Callable[[], str]:
    """Answers bent by each fault are refused as hardware errors, then the device works."""

    def check() -> str:
        with bench() as (driver, sim):
            for fault in faults:
                sim.faults.inject(fault)
                done = driver.query_status(1.0).result()
                expect(
                    not done.ok and done.code.value == "hardware_error",
                    f"a {fault} answer was taken as {done.code.value}",
                )
                expect(driver.query_status().result().ok, f"not usable after {fault}")
        return f"{' and '.join(faults)} refused"

    return check


def cancel_check(bench: Bench, start: Callable[[Any], Any]) -> Callable[[], str]:
    """A long command (`start(driver)` returns its handle) stops at once on cancel."""

    def check() -> str:
        with bench() as (driver, _):
            handle = start(driver)
            time.sleep(0.2)
            started = time.monotonic()
            handle.cancel()
            done = handle.result()
            took = time.monotonic() - started
            expect(
                done.code.value == "canceled" and took < 0.5,
                f"cancel gave {done.code.value} after {took:.2f} s",
            )
        return f"cancelled in {took:.2f} s"

    return check


def reconnect_check(bench: Bench) -> Callable[[], str]:
    """The link drops for 0.6 s; the driver is back within the next two commands."""

    def check() -> str:
        with bench() as (driver, sim):
            unplug = threading.Thread(target=sim.drop_link, args=(0.6,))
            unplug.start()
            time.sleep(0.1)
            done = driver.query_status(3.0).result()
            if not done.ok:  # the first command may see the link go; the next must work
                done = driver.query_status(3.0).result()
            unplug.join()
            expect(done.ok, f"no reconnect: {done.code.value} {done.error}")
        return "back after the link dropped"

    return check


def bench_factory(simulator_class: type, driver_class: type) -> Callable[..., Any]:
    """`bench(profile=None)`: a context manager giving (driver, simulator), the driver
    opened on a fresh simulator; both closed after."""

    @contextmanager
    def bench(profile: Any = None) -> Iterator[tuple[Any, Any]]:
        simulator = simulator_class(profile).start()
        driver = driver_class(port=simulator.address, on_event=lambda event: None)
        try:
            opened = driver.open().result()
            expect(opened.ok, f"open failed: {opened.code.value} {opened.error}")
            yield driver, simulator
        finally:
            driver.close()
            simulator.stop()

    return bench
