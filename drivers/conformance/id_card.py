"""Conformance of an `id_card` driver, against our SAM reader simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `read_card(timeout_s)` (completion data: the identity
record with `name`, `sex`, `nation`, `birth_date`, `address`, `id_number`,
`authority`, `valid_from`, `valid_until`, `card_type`, `photo`), `self_test()` and
`close()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from drivers.conformance.kit import (
    Report,
    bad_frames_check,
    bench_factory,
    cancel_check,
    expect,
    reconnect_check,
    run_checks,
    timeout_check,
)
from drivers.id_card.simulator import CardProfile, SamSimulator
from drivers.model import Code, DeviceState


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(SamSimulator, driver_class)

    def place_later(sim: SamSimulator, after_s: float = 0.2) -> None:
        threading.Timer(after_s, sim.place_card).start()

    def lifecycle() -> str:
        with bench() as (driver, _):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            expect(driver.self_test().result().ok, "self-test (SAM id) failed")
        return "open, SAM ok, SAM id"

    def reads_a_card() -> str:
        with bench() as (driver, sim):
            handle = driver.read_card(5.0)
            place_later(sim)
            done = handle.result()
            expect(done.ok, f"read: {done.code} {done.error}")
            record = done.data
            expected = {
                "name": "钱多多",
                "sex": "男",
                "nation": "汉",
                "birth_date": "19491231",
                "address": "北京市东城区景山前街4号",
                "id_number": "11010519491231002X",
                "valid_until": "20400101",
                "card_type": "resident",
            }
            wrong = {k: record.get(k) for k, v in expected.items() if record.get(k) != v}
            expect(not wrong, f"decoded wrongly: {sorted(wrong)}")
            expect(record.get("photo", b"").startswith(b"\xff\xd8"), "no photo decoded")
        return "text, nation by GB 3304, photo"

    def card_must_leave() -> str:
        with bench() as (driver, sim):
            sim.place_card()
            expect(driver.read_card(3.0).result().ok, "first read failed")
            again = driver.read_card(0.6).result()
            expect(again.code is Code.TIMEOUT, f"the same card was read twice: {again.code}")
            sim.remove_card()
            handle = driver.read_card(3.0)
            place_later(sim)
            expect(handle.result().ok, "not read after it was placed again")
        return "not read again until removed and placed"

    def other_card_types() -> str:
        found = []
        for marker, kind in (("J", "hk_macau_taiwan"), ("I", "foreigner_permanent")):
            with bench(CardProfile(card_type=marker)) as (driver, sim):
                sim.place_card()
                done = driver.read_card(3.0).result()
                expect(
                    done.ok and done.data.get("card_type") == kind,
                    f"type {marker}: {done.code} {done.data and done.data.get('card_type')}",
                )
                found.append(kind)
        return ", ".join(found)

    def card_pulled() -> str:
        with bench() as (driver, sim):
            sim.place_card()
            sim.faults.inject("card_pulled")
            done = driver.read_card(3.0).result()
            expect(
                (done.code, done.recovery.value) == (Code.USER_ERROR, "user_action"),
                f"a card pulled mid-read gave {done.code}/{done.recovery}",
            )
        return f"{done.code.value}/{done.error}, the citizen is asked"

    def two_cards() -> str:
        with bench() as (driver, sim):
            sim.place_card()
            sim.faults.inject("two_cards")
            done = driver.read_card(3.0).result()
            expect(done.code is Code.USER_ERROR, f"two cards gave {done.code}/{done.error}")
        return f"{done.code.value}/{done.error}"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("reads a card", reads_a_card),
        ("card must leave the field", card_must_leave),
        ("other card types", other_card_types),
        ("card pulled mid-read", card_pulled),
        ("two cards", two_cards),
        ("bad frames refused", bad_frames_check(bench, ("garbage", "bad_checksum"))),
        ("timeout is a timeout", timeout_check(bench)),
        ("cancel", cancel_check(bench, lambda driver: driver.read_card(10.0))),
        ("reconnect", reconnect_check(bench)),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("id_card", driver_name), chosen)
