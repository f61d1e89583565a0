"""The guide lights policy (kiosk/guide_lights.py) on our light driver and the board
simulator: the step's slot blinks on the board, the rest are off, all off at the end."""

from __future__ import annotations

import time

import pytest

from drivers.lights.driver import ModbusLights
from drivers.lights.simulator import LightBoardSimulator
from kiosk.guide_lights import GuideLights


@pytest.fixture
def board():
    sim = LightBoardSimulator().start()
    lights = ModbusLights(sim.address)
    assert lights.open().result().ok
    try:
        yield sim, lights
    finally:
        lights.close()
        sim.stop()


def shows(sim, states: dict[str, str]) -> bool:
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        if sim.states() == states:
            return True
        time.sleep(0.02)
    return sim.states() == states


def test_the_slot_the_screen_asks_for_blinks_and_nothing_else(board) -> None:
    sim, lights = board
    guide = GuideLights(lights, {"smartcard": "card_transport"})
    guide.follow("read_id_card", ["id_card"])
    assert shows(sim, {"id_card": "blink"})
    guide.follow("pay", ["scanner|camera", "card_payment"])  # each that has a light
    assert shows(sim, {"scanner": "blink", "card_payment": "blink"})
    guide.follow("read_document_chip", ["smartcard"])  # through the transport's slot
    assert shows(sim, {"card_transport": "blink"})
    guide.follow("write_chip", ["smartcard"])  # leave it in: nothing invites a pull
    assert shows(sim, {})
    guide.follow("take_back", ["smartcard"])
    assert shows(sim, {"card_transport": "blink", "buzzer": "blink"})
    writes = len(sim.writes)
    guide.follow("take_back", ["smartcard"])  # the same screen again: nothing written
    guide.follow("", [])  # the session's end
    assert shows(sim, {}) and len(sim.writes) == writes + 1
