"""The serial drivers' parsers and overhead (receipt printer, bank-card terminal).

Prints one JSON object: frames per second through each parser (the printer's
status decoder, its simulator's stream decoder, the ECR frame parser of the
driver and of the simulator);
and the driver's own time per status command over the pty (median): the
simulators pace their bytes at the device's baud rate (drivers/simulator.py), so
this includes about 0.5 ms of wire time (three 3-byte requests and three 1-byte
answers at 115200 baud); the ID card's time includes its reply's wire time and the
SAM's own read time (0.5-1 s, from its profile).
Targets: each parser >= 10,000 frames/s; driver overhead median <= 5 ms.
"""

from __future__ import annotations

import json
import statistics
import time

from drivers.card_payment import ecr
from drivers.card_payment.simulator import EcrSimulator
from drivers.fingerprint import packets as pk
from drivers.id_card import sam
from drivers.id_card import simulator as sam_sim
from drivers.id_card.driver import SamIdCardReader
from drivers.id_card.simulator import SamSimulator
from drivers.receipt_printer import escpos
from drivers.receipt_printer.driver import EscPosPrinter
from drivers.receipt_printer.simulator import EscPosSimulator
from drivers.scanner.codes import kind_of

FRAMES = 20_000


def main() -> None:
    start = time.perf_counter()
    for i in range(FRAMES):
        escpos.decode_status(0x12, 0x12, 0x12 | (0x0C if i & 1 else 0))
    driver_parser = FRAMES / (time.perf_counter() - start)

    sim = EscPosSimulator()
    frame = bytes([0x10, 0x04, 0x04]) + "金额：40.00 元".encode("gbk") + b"\n"
    start = time.perf_counter()
    for _ in range(FRAMES):
        sim.handle(frame)
    sim_parser = FRAMES / (time.perf_counter() - start)
    sim.stop()

    frame_bytes = ecr.frame("RESULT", "K-00001", "APPROVED", "")
    start = time.perf_counter()
    for _ in range(FRAMES):
        ecr.parse(frame_bytes)
    ecr_parser = FRAMES / (time.perf_counter() - start)
    ecr_sim = EcrSimulator()
    ecr_sim.send = lambda data: None  # type: ignore[method-assign]
    status = ecr.frame("STATUS")
    start = time.perf_counter()
    for _ in range(FRAMES):
        ecr_sim.handle(status)
    ecr_sim_parser = FRAMES / (time.perf_counter() - start)
    ecr_sim.stop()

    sim = EscPosSimulator().start()
    printer = EscPosPrinter(str(sim.link))
    printer.open().result()
    times = []
    for _ in range(200):
        started = time.perf_counter()
        printer.query_status().result()
        times.append(time.perf_counter() - started)
    printer.close()
    sim.stop()
    card_s = _id_card_read_s()
    more = _other_parsers()
    print(
        json.dumps(
            {
                "benchmark": "serial_devices",
                "printer_status_parser_frames_per_s": round(driver_parser),
                "printer_simulator_parser_frames_per_s": round(sim_parser),
                "ecr_driver_parser_frames_per_s": round(ecr_parser),
                "ecr_simulator_parser_frames_per_s": round(ecr_sim_parser),
                "target_parser_frames_per_s": 10_000,
                "printer_status_command_median_ms": round(statistics.median(times) * 1000, 2),
                "target_driver_overhead_ms": 5,
                # paced at 115200 baud: the frames' wire time (about 1,380 bytes)
                # is in what was measured
                "id_card_placed_to_record_s": round(card_s, 3),
                "id_card_wire_time_s": round(WIRE_S, 3),
                "target_id_card_s": 1.0,
                **more,
            }
        )
    )


WIRE_S = (1295 + 4 * 11 + 11 + 3 * 10) * 10 / 115200  # for the record: already measured


def _rate(action) -> int:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(FRAMES):
        action()
    return round(FRAMES / (time.perf_counter() - start))


def _other_parsers() -> dict[str, int]:
    """Frames per second through the SAM, R30x and scanner parsers (driver side)."""
    reply = sam_sim.reply(
        0x90,
        (256).to_bytes(2, "big")
        + (1024).to_bytes(2, "big")
        + sam_sim.card_text(sam_sim.CardProfile())
        + bytes(1024),
    )
    text = sam_sim.card_text(sam_sim.CardProfile())
    packet = pk.packet(pk.ACK, b"\x00" + bytes(16))
    return {
        "sam_reply_parser_frames_per_s": _rate(lambda: sam.parse_reply(reply)),
        "sam_text_decoder_frames_per_s": _rate(lambda: sam.decode_text(text)),
        "r30x_parser_frames_per_s": _rate(lambda: pk.parse(packet)),
        "scanner_kind_parser_lines_per_s": _rate(lambda: kind_of("134567890123456789")),
    }


def _id_card_read_s() -> float:
    """Median time from a card placed on the reader to the decoded record."""
    sim = SamSimulator().start()
    reader = SamIdCardReader(str(sim.link))
    reader.open().result()
    times = []
    for _ in range(10):
        sim.remove_card()
        handle = reader.read_card(5.0)
        time.sleep(0.15)  # the reader is polling when the card arrives
        placed = time.perf_counter()
        sim.place_card()
        assert handle.result().ok
        times.append(time.perf_counter() - placed)
    reader.close()
    sim.stop()
    return statistics.median(times)


if __name__ == "__main__":
    main()
