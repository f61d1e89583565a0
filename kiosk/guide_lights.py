"""The guide lights (drivers/lights): the slot the screen asks for blinks.

While a step waits for the citizen at a device (a card on the reader, a code at the
scanner, paper to take from a printer), the light round that device's slot blinks;
on a step that gives something back (take_back) the buzzer beeps too. Every other
light is off, and all of them once the session ends. The step's devices are the
flow's (flows/step_types.py); `slot_of` names the light of a device that has
another's slot (on a terminal with a card transport, the permit's chip is read
through the transport's slot).

The driver's `show` runs on its own worker: the screen never waits for the lights.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("kiosk.guide_lights")

# the citizen leaves the document in while its chip is written: a blinking slot
# would invite them to pull it
QUIET_STEPS = {"write_chip"}
BEEPING_STEPS = {"take_back"}


class GuideLights:
    def __init__(self, lights: Any, slot_of: dict[str, str] | None = None) -> None:
        self.lights = lights
        self.slot_of = dict(slot_of or {})
        self.outputs = set(getattr(lights, "wanted", {}))  # the lights the board has
        self.shown: dict[str, str] | None = None

    def follow(self, step_type: str, devices: list[str]) -> None:
        """The step on the screen now ("" and no devices: none, all off)."""
        wanted: dict[str, str] = {}
        if step_type not in QUIET_STEPS:
            for entry in devices:
                for device in entry.split("|"):  # alternatives: each one that has a light
                    light = self.slot_of.get(device, device)
                    if light in self.outputs:
                        wanted[light] = "blink"
            if wanted and step_type in BEEPING_STEPS and "buzzer" in self.outputs:
                wanted["buzzer"] = "blink"
        if wanted != self.shown:
            self.shown = wanted
            log.debug("guide lights: %s", wanted or "all off")
            self.lights.show(wanted)
