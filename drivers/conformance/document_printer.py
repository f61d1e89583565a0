"""Conformance of a `document_printer` driver, against a real private CUPS whose queue
prints to our simulated printer.

A driver under test is constructed as `Driver(port="host:port/queue", on_event=...)`
and offers `open()`, `query_status()`, `print_pdf(pdf, title, timeout_s)`,
`self_test()` and `close()`.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

from reportlab.pdfgen.canvas import Canvas

from drivers.conformance.kit import Report, bench_factory, expect, run_checks
from drivers.document_printer.simulator import CupsPrinterSimulator, PaperProfile
from drivers.model import Code


def pdf(pages: int) -> bytes:
    out = io.BytesIO()
    page = Canvas(out)
    for number in range(pages):
        page.drawString(72, 720, f"page {number + 1}")
        page.showPage()
    page.save()
    return out.getvalue()


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(CupsPrinterSimulator, driver_class)

    def prints() -> str:
        with bench(PaperProfile(paper=10)) as (driver, sim):
            started = time.monotonic()
            done = driver.print_pdf(pdf(2), "proof", 30).result()
            took = time.monotonic() - started
            expect(done.ok, f"print: {done.code} {done.error}")
            expect(len(sim.received()) == 1, "the printer received nothing")
            expect(sim.load().paper == 8, f"{sim.profile.paper} sheets left, expected 8")
        return f"two pages in {took:.2f} s, paper counted"

    def faults(kind: str, profile: PaperProfile, error: str, code: Code) -> Callable[[], str]:
        def check() -> str:
            with bench(profile) as (driver, sim):
                done = driver.print_pdf(pdf(1), "proof", 30).result()
                expect(
                    (done.code, done.error) == (code, error),
                    f"{kind}: {done.code}/{done.error}, expected {code}/{error}",
                )
                expect(done.recovery.value == "operator", f"{kind}: recovery {done.recovery}")
                expect(sim.received() == [], f"{kind}: something came out")
            return f"{code.value}/{error}"

        return check

    def paper_out_mid_job() -> str:
        with bench(PaperProfile(paper=1)) as (driver, _):
            done = driver.print_pdf(pdf(3), "proof", 30).result()
            expect(
                (done.code, done.error) == (Code.DEVICE_NOT_READY, "paper_out"),
                f"a job the paper ran out in gave {done.code}/{done.error}",
            )
        return "a 3-page job on 1 sheet: paper_out"

    def jam_mid_job() -> str:
        with bench(PaperProfile(paper=10)) as (driver, sim):
            sim.faults.inject("jam")  # the next job jams half-way
            done = driver.print_pdf(pdf(4), "proof", 30).result()
            expect(
                (done.code, done.error) == (Code.HARDWARE_ERROR, "jam"),
                f"a job that jammed half-way gave {done.code}/{done.error}",
            )
            expect(sim.jammed() == [{"pages": 4, "pages_out": 2}], f"partial: {sim.jammed()}")
            again = driver.print_pdf(pdf(1), "proof", 30).result()
            expect(again.error == "jam" and sim.received() == [], "printed past a jam")
            sim.load().jam = False  # a technician clears it
            sim.save()
            cleared = driver.print_pdf(pdf(1), "proof", 30).result()
            expect(cleared.ok, f"not printing after the jam was cleared: {cleared.code}")
            expect(len(sim.received()) == 1, "the jammed job came out after all")
        return "failed at page 3 of 4 (2 out), nothing more until cleared"

    def recovers_after_refill() -> str:
        with bench(PaperProfile(paper=0)) as (driver, sim):
            expect(not driver.print_pdf(pdf(1), "proof", 30).result().ok, "printed on nothing")
            sim.profile.paper = 5
            sim.save()
            done = driver.print_pdf(pdf(1), "proof", 30).result()
            expect(done.ok, f"not printing after the refill: {done.code} {done.error}")
            expect(len(sim.received()) == 1, "the failed job came out too (twice printed)")
        return "prints again after a refill, the failed job not repeated"

    def toner_low_is_a_warning() -> str:
        with bench(PaperProfile(toner_low=True)) as (driver, _):
            done = driver.print_pdf(pdf(1), "proof", 30).result()
            expect(done.ok, f"toner low failed the job: {done.code}")
            expect(driver.status.media.get("toner") == "low", f"status {driver.status}")
        return "printed; toner low in the status"

    def timeout_cancels_the_job() -> str:
        with bench(PaperProfile(slow_s=4.0)) as (driver, sim):
            done = driver.print_pdf(pdf(1), "proof", 1.5).result()
            expect(done.code is Code.TIMEOUT, f"a slow job gave {done.code}")
            time.sleep(5.0)
            expect(sim.received() == [], "the timed-out job came out later")
        return "timeout, and the job never came out"

    def cups_down() -> str:
        with bench() as (driver, sim):
            sim.cups.stop()
            done = driver.query_status().result()
            expect(
                done.code is Code.LINK_LOST and done.error == "no_device",
                f"CUPS gone gave {done.code}/{done.error}",
            )
        return "link_lost/no_device"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("prints", prints),
        (
            "paper out",
            faults("paper out", PaperProfile(paper=0), "paper_out", Code.DEVICE_NOT_READY),
        ),
        ("jam", faults("jam", PaperProfile(jam=True), "jam", Code.HARDWARE_ERROR)),
        (
            "door open",
            faults("door open", PaperProfile(door_open=True), "door_open", Code.DEVICE_NOT_READY),
        ),
        ("paper out mid-job", paper_out_mid_job),
        ("jam mid-job", jam_mid_job),
        ("recovers after refill", recovers_after_refill),
        ("toner low is a warning", toner_low_is_a_warning),
        ("timeout cancels the job", timeout_cancels_the_job),
        ("CUPS down", cups_down),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("document_printer", driver_name), chosen)
