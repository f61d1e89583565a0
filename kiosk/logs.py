"""Logging: JSON lines, redaction that every record passes, a sensitive channel.

The root logger gets exactly one handler, a `RedactingHandler`, which masks a
copy of each record and only then hands it to the sinks (stderr, the log file),
so no sink can see a record unmasked. Drivers log to `kiosk.drivers.<name>`;
frame traces go to `kiosk.sensitive.frames.<name>`, a channel that is off by
default and, when on, writes its own file and never reaches the main log.
"""

from __future__ import annotations

import copy as _copy
import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from kiosk.config import LoggingSection
from kiosk.errors import ConfigError
from kiosk.privacy import Redactor

SENSITIVE = "kiosk.sensitive"
MAIN_FILE = "kiosk.jsonl"
SENSITIVE_FILE = "sensitive.jsonl"

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _utc_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in vars(record).keys() - _STANDARD - line.keys():
            line[key] = getattr(record, key)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def _utc_timestamp(created: float) -> str:
    # strftime is several times cheaper than datetime.isoformat on this hot path.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + (
        f".{int(created * 1000) % 1000:03d}Z"
    )


class _RotatingFile(logging.handlers.RotatingFileHandler):
    """Rotates by the file's current size: the standard check formats every record twice."""

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        return self.stream is not None and self.stream.tell() >= self.maxBytes


class RedactingHandler(logging.Handler):
    """Masks a copy of each record, then passes it to every sink.

    With `redactor=None` records pass unmasked: only for the sensitive channel
    in `clear` mode, which a technician turns on at a bench.
    """

    def __init__(self, sinks: list[logging.Handler], redactor: Redactor | None) -> None:
        super().__init__()
        self.sinks = sinks
        self.redactor = redactor

    def emit(self, record: logging.LogRecord) -> None:
        try:
            masked = self.mask(record)
        except Exception:  # never let a logging fault reach the citizen's flow
            self.handleError(record)
            return
        for sink in self.sinks:
            if masked.levelno >= sink.level:
                sink.handle(masked)

    def mask(self, record: logging.LogRecord) -> logging.LogRecord:
        copy = _copy.copy(record)  # other handlers may still want the original
        message = record.getMessage()
        exc_text = record.exc_text
        if record.exc_info and not exc_text:
            exc_text = logging.Formatter().formatException(record.exc_info)
        copy.msg, copy.args, copy.exc_info, copy.exc_text = message, None, None, exc_text
        if self.redactor is None:
            return copy
        copy.msg = self.redactor.text(message)
        if exc_text:
            copy.exc_text = self.redactor.text(exc_text)
        if record.stack_info:
            copy.stack_info = self.redactor.text(record.stack_info)
        for key in vars(record).keys() - _STANDARD:
            setattr(copy, key, self.redactor.value(getattr(record, key), key))
        return copy

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
        super().close()


def setup(
    section: LoggingSection,
    redactor: Redactor,
    *,
    stderr_level: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Install the handlers for the whole process; calling again replaces them.

    `stderr_level` lets short CLI commands keep stderr to warnings while the file
    still gets `section.level`.
    """
    formatter = JsonLineFormatter()
    shutdown()
    root = logging.getLogger()

    sinks: list[logging.Handler] = []
    if section.stderr:
        console = logging.StreamHandler(stream or sys.stderr)
        console.setLevel(stderr_level or section.level)
        sinks.append(console)
    if section.dir is not None:
        sinks.append(_file_sink(section, section.dir / MAIN_FILE))
    for sink in sinks:
        sink.setFormatter(formatter)
    root.addHandler(RedactingHandler(sinks, redactor))
    root.setLevel(section.level)

    sensitive = logging.getLogger(SENSITIVE)
    sensitive.propagate = False  # never into the main log, whatever the mode
    if section.sensitive == "off" or section.dir is None:
        sensitive.setLevel(logging.CRITICAL + 1)
        return
    sink = _file_sink(section, section.dir / SENSITIVE_FILE)
    sink.setFormatter(formatter)
    sensitive.setLevel(logging.DEBUG)
    sensitive.addHandler(
        RedactingHandler([sink], None if section.sensitive == "clear" else redactor)
    )


def shutdown() -> None:
    """Flush and close every handler `setup` installed (and any other on root)."""
    for logger in (logging.getLogger(), logging.getLogger(SENSITIVE)):
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


def _file_sink(section: LoggingSection, path: Path) -> logging.Handler:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        handler = _RotatingFile(
            path, maxBytes=section.max_bytes, backupCount=section.backups, encoding="utf-8"
        )
        path.chmod(0o640)  # logs are for the kiosk and its technicians, not other users
    except OSError as exc:
        raise ConfigError("logs.unwritable", path=path, reason=exc.strerror or exc) from None
    return handler
