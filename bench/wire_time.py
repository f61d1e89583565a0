"""The serial devices as the drivers see them with wire time on (the simulators'
default): each figure is the driver's command time, from submit to completion.

Prints one JSON object: the ID card read (the card on the reader: FIND, SELECT,
READ), the fingerprint capture (finger on the glass: GenImg, Img2Tz, UpChar), the
scanner (code shown -> text at the driver), a receipt slip printed and cut, each
min and median; the floor each cannot beat (the profile's minimum device time plus
the wire time of its longest answer); and what a driver at the wrong rate gets.
Targets: the ID card read at most 1.5 s; a wrong rate never an answer.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable

from drivers.fingerprint.driver import R30xFingerprint
from drivers.fingerprint.simulator import TEMPLATE_BYTES, R30xSimulator
from drivers.id_card import sam
from drivers.id_card import simulator as sam_codec
from drivers.id_card.driver import SamIdCardReader
from drivers.id_card.simulator import SamSimulator
from drivers.receipt_printer.driver import EscPosPrinter
from drivers.receipt_printer.simulator import EscPosSimulator
from drivers.receipt_printer.slip import QrCode, Rule, Slip, Text
from drivers.scanner.driver import SerialScanner
from drivers.scanner.simulator import ScannerSimulator

ROUNDS = 8
CODE = "134567890123456789"


def figures(times: list[float]) -> dict[str, float]:
    return {"min": round(min(times), 3), "median": round(statistics.median(times), 3)}


def rounds(measure: Callable[[], float], count: int = ROUNDS) -> list[float]:
    return [measure() for _ in range(count)]


def id_card() -> dict[str, object]:
    sim = SamSimulator().start()
    reader = SamIdCardReader(sim.address)
    reader.open().result()

    def read() -> float:
        sim.remove_card()
        sim.place_card()
        done = reader.read_card(5.0).result()
        assert done.ok, done
        return done.elapsed_s

    times = rounds(read)
    reply = len(sam_codec.reply(0x90, bytes(4 + sam.TEXT_BYTES + sam.PHOTO_BYTES)))
    floor = sim.profile.read_min_s + sim.wire_time(reply)
    reader.close()
    wrong = SamIdCardReader(sim.address, baudrate=9600)
    sim.place_card()
    at_9600 = wrong.read_card(1.5).result()
    wrong.close()
    sim.stop()
    return {
        "id_card_read_s": figures(times),
        "id_card_floor_s": round(floor, 3),
        "id_card_reply_wire_s": round(sim.wire_time(reply), 4),
        "id_card_9600_client_gets": f"{at_9600.code.value}/{at_9600.error}",
        "target_id_card_s": 1.5,
    }


def fingerprint() -> dict[str, object]:
    sim = R30xSimulator().start()
    pad = R30xFingerprint(sim.address)
    pad.open().result()
    sim.put_finger("right_index")

    def capture() -> float:
        done = pad.capture(5.0).result()
        assert done.ok, done
        return done.elapsed_s

    times = rounds(capture)
    template = TEMPLATE_BYTES + TEMPLATE_BYTES // 128 * 11  # in 128-byte data packets
    floor = sim.profile.image_min_s + sim.wire_time(template)
    pad.close()
    sim.stop()
    return {"fingerprint_capture_s": figures(times), "fingerprint_floor_s": round(floor, 3)}


def scanner() -> dict[str, object]:
    sim = ScannerSimulator().start()
    driver = SerialScanner(sim.address)
    driver.open().result()

    def scan() -> float:
        handle = driver.read_code(5.0)
        started = time.perf_counter()
        threading.Thread(target=sim.present, args=(CODE,)).start()
        done = handle.result()
        assert done.ok, done
        return time.perf_counter() - started

    times = rounds(scan)
    line = len(CODE) + len(sim.profile.line_end)
    floor = sim.profile.decode_s + sim.wire_time(line)
    driver.close()
    sim.stop()
    return {"scanner_shown_to_text_s": figures(times), "scanner_floor_s": round(floor, 3)}


def receipt() -> dict[str, object]:
    slip = Slip(
        elements=[
            Text(text="北京市公安局 自助服务", size=2, align="center"),
            Rule(),
            *[Text(text=f"第 {i} 行  金额：40.00 元") for i in range(12)],
            QrCode(data="KP1." + "x" * 200),
        ]
    )
    sim = EscPosSimulator().start()
    printer = EscPosPrinter(sim.address)
    printer.open().result()

    def print_slip() -> float:
        done = printer.print_slip(slip).result()
        assert done.ok, done
        return done.elapsed_s

    times = rounds(print_slip, 4)
    printer.close()
    sim.stop()
    return {"receipt_slip_printed_s": figures(times)}


def main() -> None:
    print(
        json.dumps(
            {
                "benchmark": "wire_time",
                "rounds": ROUNDS,
                **id_card(),
                **fingerprint(),
                **scanner(),
                **receipt(),
            }
        )
    )


if __name__ == "__main__":
    main()
