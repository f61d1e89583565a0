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
    state: str | None = None  # as its driver reported it, when it was opened


class TerminalStatus(BaseModel):
    terminal_id: str
    terminal_name: str
    location: str
    version: str
    language: str
    orientation: str
    backend: str | None
    devices: list[DeviceLine]


def terminal_status(config: KioskConfig, simulated: dict[str, str] | None = None) -> TerminalStatus:
    """The status; `simulated` (device -> state) replaces the configured devices."""
    devices = [
        DeviceLine(name=name, driver=section.driver, enabled=section.enabled)
        for name, section in sorted(config.devices.items())
    ]
    if simulated is not None:
        devices = [
            DeviceLine(name=name, driver="simulator", enabled=True, state=state)
            for name, state in sorted(simulated.items())
        ]
    return TerminalStatus(
        terminal_id=config.terminal.id,
        terminal_name=config.terminal.name,
        location=config.terminal.location,
        version=__version__,
        language=config.screen.language,
        orientation=config.screen.orientation,
        backend=config.backend.url,
        devices=devices,
    )
