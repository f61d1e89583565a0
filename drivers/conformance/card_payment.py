"""Conformance of a `card_payment` driver, against our ECR simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `sale(order, amount_fen, timeout_s)`, `query(order)`,
`void(order)`, `refund(order, amount_fen)` and `close()`; commands return handles
with `result()` and `cancel()`. Money rules come first: a lost or late result is
`payment_unknown`, never a failure, and nobody is charged twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from drivers.card_payment.simulator import BankProfile, EcrSimulator
from drivers.config import FaultSpec
from drivers.conformance.kit import Report, expect, reconnect_check, run_checks, timeout_check
from drivers.model import Code, DeviceState
from drivers.simulator import FaultPlan


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    @contextmanager
    def bench(
        profile: BankProfile | None = None, faults: FaultPlan | None = None
    ) -> Iterator[tuple[Any, EcrSimulator, list]]:
        sim = EcrSimulator(profile, faults).start()
        events: list[Any] = []
        driver = driver_class(port=str(sim.link), on_event=events.append)
        try:
            opened = driver.open().result()
            expect(opened.ok, f"open failed: {opened.code} {opened.error}")
            yield driver, sim, events
        finally:
            driver.close()
            sim.stop()

    @contextmanager
    def pair() -> Iterator[tuple[Any, EcrSimulator]]:  # as the shared checks take it
        with bench() as (driver, sim, _):
            yield driver, sim

    def lifecycle() -> str:
        with bench() as (driver, _, events):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            expect(
                any(getattr(e, "command", None) == "open" for e in events),
                "completions are not sent as events",
            )
        return "open, ready, close"

    def approved() -> str:
        with bench() as (driver, sim, _):
            done = driver.sale("K-1", 2000, 5).result()
            expect(done.ok and done.data["state"] == "paid", f"sale: {done}")
            expect(sim.sales == 1, f"{sim.sales} charges")
        return "paid"

    def declined() -> str:
        with bench(BankProfile(answer="decline")) as (driver, _, _e):
            done = driver.sale("K-2", 2000, 5).result()
            expect(
                (done.code, done.error) == (Code.USER_ERROR, "declined"),
                f"declined as {done.code}/{done.error}",
            )
            expect(done.recovery.value == "user_action", f"recovery {done.recovery}")
        return "user_error/declined"

    def lost_result_is_unknown() -> str:
        with bench(BankProfile(answer="lost")) as (driver, sim, _):
            done = driver.sale("K-3", 4000, 1.5).result()
            expect(
                done.error == "payment_unknown" and done.code is not Code.USER_ERROR,
                f"a lost result was reported as {done.code}/{done.error}",
            )
            asked = driver.query("K-3").result()
            expect(asked.ok and asked.data["state"] == "paid", f"query: {asked}")
            again = driver.sale("K-3", 4000, 5).result()
            expect(sim.sales == 1, f"charged {sim.sales} times for one order")
            expect(again.ok, f"retrying the same order: {again.code}")
        with bench() as (driver, sim, _):  # the fault: one sale charged, then silence
            sim.device_fault("payment_unknown")
            done = driver.sale("K-5", 1000, 1.5).result()
            expect(done.error == "payment_unknown" and sim.sales == 1, f"lost sale: {done}")
            after = driver.sale("K-6", 1000, 5).result()
            expect(after.ok and sim.sales == 2, f"the sale after a lost one: {after.code}")
        return "unknown, then query says paid, no second charge; the fault strikes once"

    def bank_unknown() -> str:
        with bench(BankProfile(answer="unknown")) as (driver, _, _e):
            done = driver.sale("K-4", 2000, 5).result()
            expect(done.error == "payment_unknown", f"UNKNOWN as {done.code}/{done.error}")
        return "payment_unknown"

    def void_and_refund() -> str:
        with bench() as (driver, _, _e):
            driver.sale("K-5", 2000, 5).result()
            driver.sale("K-6", 3000, 5).result()
            voided = driver.void("K-5").result()
            refunded = driver.refund("K-6", 3000).result()
            expect(voided.ok and voided.data["state"] == "voided", f"void: {voided}")
            expect(refunded.ok and refunded.data["state"] == "refunded", f"refund: {refunded}")
            missing = driver.void("K-404").result()
            expect(missing.data["state"] == "not_found", f"void of nothing: {missing}")
        return "voided, refunded, not_found"

    def nak_and_resend() -> str:
        with bench() as (driver, sim, _):
            sim.faults.inject("bad_checksum")
            done = driver.query_status().result()
            expect(done.ok, f"a frame with a bad LRC was not NAKed and resent: {done.code}")
        return "NAK, resent frame taken"

    def wrong_checksum_refused() -> str:
        plan = FaultPlan([FaultSpec(kind="bad_checksum", after_commands=1)])
        with bench(faults=plan) as (driver, _, _e):
            done = driver.query_status().result()
            expect(not done.ok, "a frame with a wrong LRC was accepted")
            expect(done.error == "bad_checksum", f"reported as {done.code}/{done.error}")
        return "refused after three bad frames"

    def garbage_refused() -> str:
        with bench() as (driver, sim, _):
            sim.faults.inject("garbage")
            done = driver.query_status(timeout_s=1.0).result()
            expect(not done.ok, "garbage taken as an answer")
            expect(driver.query_status().result().ok, "not usable after garbage")
        return "refused, then usable"

    def cancel() -> str:
        with bench(BankProfile(card_delay_s=3.0)) as (driver, _sim, _):
            handle = driver.sale("K-7", 2000, 10)
            time.sleep(0.2)
            started = time.monotonic()
            handle.cancel()
            done = handle.result()
            took = time.monotonic() - started
            expect(done.code is Code.CANCELED, f"cancel gave {done.code} after {took:.2f} s")
            expect(done.error == "payment_unknown", "a cancelled sale must be queried")
            expect(took < 0.5, f"cancel took {took:.2f} s")
            time.sleep(3.2)  # the result arrives late; it must not confuse what follows
            asked = driver.query("K-7").result()
            expect(asked.ok and asked.data["state"] == "paid", f"after cancel: {asked}")
        return f"cancelled in {took:.2f} s, then queried"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("sale approved", approved),
        ("sale declined", declined),
        ("lost result is unknown", lost_result_is_unknown),
        ("bank unknown", bank_unknown),
        ("void and refund", void_and_refund),
        ("NAK and resend", nak_and_resend),
        ("wrong checksum refused", wrong_checksum_refused),
        ("timeout is a timeout", timeout_check(pair)),
        ("garbage refused", garbage_refused),
        ("cancel", cancel),
        ("reconnect", reconnect_check(pair)),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("card_payment", driver_name), chosen)
