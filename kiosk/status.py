"""The terminal's status as shown on the start-up screen and by technicians' tools.

Qt-free: the screen (ui/) renders it, `kiosk` commands print it.
"""

from __future__ import annotations

from pydantic import BaseModel

from kiosk import __version__
from kiosk.config import KioskConfig


class DeviceLine(BaseModel):
    name: str
    driver: str
    enabled: bool


class TerminalStatus(BaseModel):
    terminal_id: str
    terminal_name: str
    location: str
    version: str
    language: str
    orientation: str
    backend: str | None
    devices: list[DeviceLine]


def terminal_status(config: KioskConfig) -> TerminalStatus:
    return TerminalStatus(
        terminal_id=config.terminal.id,
        terminal_name=config.terminal.name,
        location=config.terminal.location,
        version=__version__,
        language=config.screen.language,
        orientation=config.screen.orientation,
        backend=config.backend.url,
        devices=[
            DeviceLine(name=name, driver=section.driver, enabled=section.enabled)
            for name, section in sorted(config.devices.items())
        ],
    )
