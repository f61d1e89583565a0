"""Conformance of a `smartcard` driver, through the real PC/SC stack: pcscd, its vpcd
reader, and our simulated travel document / permit card plugged into it.

A driver under test is constructed as `Driver(port=READER_NAME, on_event=...)` and
offers `open()`, `query_status()` (media: card present/absent/mute), `read_document(
number, birth, expiry, timeout_s)` (data: `document` with `.mrz` and `.face`),
`read_permit(key, issuer_key)`, `write_endorsement(key, issuer_key, endorsement)`
(data: `permit` with `.endorsements`), `self_test()` and `close()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from drivers.config import FaultSpec
from drivers.conformance.kit import Report, bench_factory, expect, run_checks
from drivers.model import Code
from drivers.smartcard import face, pcscd, permit
from drivers.smartcard.simulator import SmartcardProfile, VpcdCardSimulator
from drivers.smartcard.terminal import EF_DG2, ICAO_AID

KEY = ("C01234567", "800101", "300101")


def endorsement(serial: str) -> permit.Endorsement:
    return permit.Endorsement(serial, "HK", "G", 1, "20270301", "202611231200", "CONFORM")


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    report = Report("smartcard", driver_name)
    try:
        daemon = pcscd.ensure_running()
    except pcscd.PcscdError as exc:
        reason = str(exc)

        def no_stack() -> str:
            expect(False, f"no PC/SC stack to test on: {reason}")
            return ""

        return run_checks(report, [("pcscd", no_stack)])
    try:
        return run_checks(report, _checks(driver_class, only))
    finally:
        if daemon is not None:
            daemon.stop()


def _checks(driver_class: type, only: list[str] | None) -> list[tuple[str, Callable[[], str]]]:
    make = bench_factory(VpcdCardSimulator, driver_class)

    def bench(**fields: Any) -> AbstractContextManager[tuple[Any, Any]]:
        return make(SmartcardProfile(**fields))

    def card_is(driver: Any, state: str, seconds: float = 5.0) -> bool:
        deadline = time.monotonic() + seconds
        while driver.status.media.get("card") != state:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def chip_face(sim: Any) -> bytes:
        return face.decode(sim.chip.applications[ICAO_AID].files[EF_DG2]).data

    def read_ok(driver: Any, sim: Any) -> Any:
        done = driver.read_document(*KEY, timeout_s=10).result()
        expect(done.ok, f"read: {done.code.value}/{done.error}")
        document = done.data["document"]
        expect(document.mrz.document_number == KEY[0], f"DG1 says {document.mrz.document_number}")
        expect(
            document.face is not None and document.face.data == chip_face(sim),
            "the face read is not the chip's",
        )
        return document

    def reads_a_document() -> str:
        with bench() as (driver, sim):
            expect(card_is(driver, "present"), f"no card seen: {driver.status}")
            started = time.monotonic()
            document = read_ok(driver, sim)
            took = time.monotonic() - started
            expect(
                document.mrz.birth_date == KEY[1] and document.mrz.names == sim.profile.names,
                f"DG1 fields: {document.mrz}",
            )
            shape = document.face.decoded().shape
        size = len(document.face.data)
        return f"BAC, DG1 and a {size} byte face {shape[1]}x{shape[0]} in {took:.2f} s"

    def jpeg2000_face() -> str:
        with bench(face_format="jpeg2000") as (driver, sim):
            card_is(driver, "present")
            document = read_ok(driver, sim)
            expect(document.face.format == "jpeg2000", f"format {document.face.format}")
            document.face.decoded()
        return "JPEG 2000 face decoded"

    def wrong_key() -> str:
        with bench() as (driver, sim):
            card_is(driver, "present")
            done = driver.read_document("C01234568", KEY[1], KEY[2]).result()
            expect(
                (done.code, done.error) == (Code.USER_ERROR, "access_denied"),
                f"a wrong MRZ key gave {done.code.value}/{done.error}",
            )
            bad = driver.read_document("C0123!", KEY[1], "301399").result()
            expect(not bad.ok and bad.data is None, f"a malformed key gave {bad.code.value}")
            read_ok(driver, sim)
        return "access_denied, then the right key reads"

    def no_card() -> str:
        with bench() as (driver, sim):
            # the card seen first: open may end before pcscd has seen the simulator's
            # card, and that "absent" taken for the removal's let the read race pcscd
            # (1 run in 18 under load: the card was gone mid-read, `card_removed`)
            expect(card_is(driver, "present"), f"the card never seen: {driver.status}")
            sim.remove_card()
            expect(card_is(driver, "absent"), f"status after removal: {driver.status}")
            done = driver.read_document(*KEY).result()
            expect(
                done.code is Code.DEVICE_NOT_READY, f"no card gave {done.code.value}/{done.error}"
            )
            sim.place_card()
            expect(card_is(driver, "present"), f"status after the card came back: {driver.status}")
            read_ok(driver, sim)
        return "absent, not ready, present, reads"

    def card_pulled() -> str:
        with bench() as (driver, sim):
            card_is(driver, "present")
            sim.faults.inject("card_pulled")
            done = driver.read_document(*KEY).result()
            expect(
                (done.code, done.error, done.recovery.value)
                == (Code.USER_ERROR, "card_removed", "user_action"),
                f"a card pulled mid-APDU gave {done.code.value}/{done.error}",
            )
            expect(card_is(driver, "absent"), "the pulled card still shown present")
            sim.place_card()
            card_is(driver, "present")
            read_ok(driver, sim)
        return "card_removed, then reads when put back"

    def wrong_mac() -> str:
        with bench() as (driver, sim):
            card_is(driver, "present")
            sim.faults.inject("wrong_mac")
            read_ok(driver, sim)  # one tampered answer: a new session, the right data
            # from the 30th command on, every protected answer is tampered with
            sim.faults.faults = [
                FaultSpec(kind="wrong_mac", after_commands=sim.faults.commands + 30)
            ]
            done = driver.read_document(*KEY).result()
            expect(
                (done.code, done.error) == (Code.INVALID_DATA, "secure_messaging"),
                f"tampered answers gave {done.code.value}/{done.error}",
            )
        return "a tampered answer is never used"

    def tearing(commits: bool) -> Callable[[], str]:
        def check() -> str:
            with bench(tearing_commits=commits) as (driver, sim):
                card_is(driver, "present")
                issuer = bytes.fromhex(sim.profile.issuer_key)
                wanted = endorsement("E-TEAR-1")
                sim.faults.inject("tearing")
                done = driver.write_endorsement(KEY, issuer, wanted).result()
                expect(
                    (done.code, done.error) == (Code.USER_ERROR, "write_interrupted"),
                    f"a torn write gave {done.code.value}/{done.error}",
                )
                expect(card_is(driver, "absent"), "the card that lost power still shown present")
                sim.place_card()
                expect(card_is(driver, "present", 8), "the card did not come back")
                again = driver.write_endorsement(KEY, issuer, wanted).result()
                expect(again.ok, f"the retry: {again.code.value}/{again.error}")
                read = driver.read_permit(KEY, issuer).result()
                serials = [e.serial for e in read.data["permit"].endorsements]
                expect(serials == ["E-TEAR-1"], f"the card holds {serials}")
            return f"written once ({'landed' if commits else 'lost'} when torn)"

        return check

    def forged_endorsement() -> str:
        with bench() as (driver, sim):
            card_is(driver, "present")
            issuer = bytes.fromhex(sim.profile.issuer_key)
            wrong = bytes(16)
            refused = driver.write_endorsement(KEY, wrong, endorsement("E-FORGED")).result()
            expect(
                (refused.code, refused.error) == (Code.INVALID_DATA, "refused_data"),
                f"an endorsement sealed with another key: {refused.code.value}/{refused.error}",
            )
            # a record someone put on the card with another key
            forged = endorsement("E-INJECTED").sealed(permit.card_key(wrong, KEY[0]))
            sim.chip.applications[permit.PERMIT_AID].records.append(forged)
            read = driver.read_permit(KEY, issuer).result()
            expect(read.ok, f"read: {read.code.value}/{read.error}")
            found = read.data["permit"]
            expect(
                [e.serial for e in found.endorsements] == [] and found.forged == 1,
                f"a forged record was taken as an endorsement: {found}",
            )
            written = driver.write_endorsement(KEY, issuer, endorsement("E-GOOD")).result()
            expect(written.ok, f"a genuine write: {written.code.value}/{written.error}")
        return "refused by the card, flagged when read"

    def timeout_then_works() -> str:
        with bench() as (driver, sim):
            card_is(driver, "present")
            sim.faults.inject("slow_answer", delay_ms=1500)
            started = time.monotonic()
            done = driver.read_document(*KEY, timeout_s=0.5).result()
            took = time.monotonic() - started
            expect(
                done.code is Code.TIMEOUT and took < 1.0, f"{done.code.value} after {took:.2f} s"
            )
            time.sleep(1.6)
            read_ok(driver, sim)
        return f"timeout after {took:.2f} s, then reads"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("reads a document", reads_a_document),
        ("jpeg2000 face", jpeg2000_face),
        ("wrong key", wrong_key),
        ("no card", no_card),
        ("card pulled", card_pulled),
        ("wrong mac", wrong_mac),
        ("tearing, lost", tearing(False)),
        ("tearing, landed", tearing(True)),
        ("forged endorsement", forged_endorsement),
        ("timeout", timeout_then_works),
    ]
    return [(n, c) for n, c in checks if only is None or n in only]
