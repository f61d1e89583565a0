"""The `[devices.<name>]` sections of the terminal's configuration.

Defined here so that drivers never import the application: the application's
schema includes this model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The device names of the design, as used on the command line and in config.
DeviceName = Literal[
    "id_card",
    "fingerprint",
    "receipt_printer",
    "scanner",
    "card_payment",
    "smartcard",
    "camera",
    "document_printer",
    "ups",
    "card_transport",
    "scanner_a4",
    "card_printer",
    "sensors",
    "lights",
    "signature_pad",
]

# What a simulator can be told to get wrong (design: Device model); which device
# answers to which: drivers/faults.py.
FaultKind = Literal[
    "no_answer",
    "slow_answer",
    "dropped_link",
    "bad_checksum",
    "garbage",
    "truncated",
    "card_pulled",
    "two_cards",
    "paper_out",
    "cover_open",
    "jam",
    "payment_unknown",
    "wrong_mac",
    "tearing",
    "stall",
    "disconnect",
    "black_frames",
    "door_open",
    "toner_low",
    "offline",
    "power_fail",
    "low_battery",
    "power_back",
    "replace_battery",
    "driver_lost",
    "upsd_gone",
    "stuck_at_gate",
    "bin_full",
    "slot_empty",
    "no_paper",
    "busy",
    "io_error",
    "head_error",
    "not_erased",
    "corrupt_chunk",
    "stuck_input",
    "board_reset",
    "no_pen",
    "out_of_range",
]


class FaultSpec(BaseModel):
    """One scripted fault: which, how often, and from which command on."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    probability: float = Field(1.0, ge=0.0, le=1.0)
    after_commands: int = Field(0, ge=0, description="let this many commands pass first")
    delay_ms: int = Field(0, ge=0, le=600_000, description="for slow_answer")


class DeviceSection(BaseModel):
    """How the terminal reaches one device."""

    model_config = ConfigDict(extra="forbid")

    driver: str = Field(
        min_length=1,
        description="a built-in driver name or 'module:Class' of a vendor driver",
    )
    port: str | None = Field(None, description="serial port, e.g. /dev/serial/by-id/...")
    uri: str | None = Field(None, description="PC/SC reader, camera URL, CUPS queue, ...")
    enabled: bool = True
    timeout_ms: int = Field(5000, ge=50, le=600_000, description="default command timeout")
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)
    faults: list[FaultSpec] = Field(default_factory=list)
    fault_seed: int = 0


class DeviceLinksSection(BaseModel):
    """Where the devices' stable names are (packaging/udev/70-kiosk-devices.rules)."""

    model_config = ConfigDict(extra="forbid")

    dir: Path = Field(
        Path("/dev/kiosk"),
        description="the folder of the stable names udev makes, one link per device "
        "(/dev/kiosk/id_card, ...); `kiosk devices list` looks there",
    )
