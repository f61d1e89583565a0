"""How much the redaction every log record passes costs.

Prints one JSON object: records per second and microseconds per record through
the RedactingHandler into a JSON-lines file, with a session that has remembered
a citizen (the usual case during a transaction), for plain and personal records.
Target: at least 10,000 records/s: a transaction logs a few hundred records,
and frame traces of a serial device at 115200 baud stay under 1,000 a second.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path

from kiosk import logs
from kiosk.config import LoggingSection
from kiosk.privacy import PersonalKind, Redactor

RECORDS = 20_000


def measure(logger: logging.Logger, message: str, *args: object, **extra: object) -> float:
    start = time.perf_counter()
    for _ in range(RECORDS):
        logger.info(message, *args, extra=extra or None)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        redactor = Redactor()
        logs.setup(LoggingSection(dir=Path(folder), stderr=False), redactor)
        redactor.remember("钱多多", PersonalKind.NAME)
        redactor.remember("北京市东城区景山前街4号", PersonalKind.ADDRESS)
        log = logging.getLogger("kiosk.bench")
        plain = measure(log, "printer status %s, paper %s", "online", "ok")
        personal = measure(
            log, "card read for %s id %s", "钱多多", "11010519491231002X", phone="13912345678"
        )
        logs.shutdown()
    print(
        json.dumps(
            {
                "benchmark": "log_redaction",
                "records": RECORDS,
                "plain_records_per_s": round(RECORDS / plain),
                "plain_us_per_record": round(plain / RECORDS * 1e6, 1),
                "personal_records_per_s": round(RECORDS / personal),
                "personal_us_per_record": round(personal / RECORDS * 1e6, 1),
                "target_records_per_s": 10_000,
            }
        )
    )


if __name__ == "__main__":
    main()
