"""The take_back step on the card transport, on our driver and the simulator: the
card taken at the gate; not taken in time, captured into the retain bin with a
record, a retain slip and an alert; a full bin leaves it at the gate, alerted."""

from __future__ import annotations

import queue
import threading

import pytest

from drivers.card_transport.driver import CrtCardTransport
from drivers.card_transport.simulator import CrtTransportSimulator, TransportProfile
from flows.results import TakeBack
from kiosk.steps.devices import DeviceServices


@pytest.fixture
def transport(request):
    profile = getattr(request, "param", None) or TransportProfile()
    sim = CrtTransportSimulator(profile).start()
    driver = CrtCardTransport(port=sim.address)
    assert driver.open().result().ok
    inserted = driver.accept_card(5.0)
    threading.Timer(0.2, sim.insert_card, args=("permit",)).start()
    assert inserted.result().ok and sim.position == "rw_position"
    yield driver, sim
    driver.close()
    sim.stop()


def served(driver, retain_after: float = 0.8):
    answers: queue.Queue = queue.Queue()
    slips: list[str] = []
    alerts: list[tuple[str, str, str]] = []
    services = DeviceServices({"card_transport": driver}, fallback=None)
    services.retain_slip = lambda record: slips.append(record) or True
    services.alert = lambda *alert: alerts.append(alert)
    assert services.serves("take_back")
    params = {"what": "document", "retain_after": retain_after}
    services.start("take_back", params, {}, answers.put)
    return answers, slips, alerts


def test_the_card_taken_at_the_gate(transport):
    driver, sim = transport
    answers, slips, alerts = served(driver, retain_after=5.0)
    threading.Timer(0.5, sim.take_card).start()
    answer = answers.get(timeout=10)
    assert answer == {"result": {"removed": True}}
    assert sim.taken == ["permit"] and not sim.captured and not slips and not alerts


def test_a_card_not_taken_is_retained_with_a_record_a_slip_and_an_alert(transport):
    driver, sim = transport
    answers, slips, alerts = served(driver)
    result = answers.get(timeout=10)["result"]
    assert result["retained"] and not result["removed"]
    assert sim.captured == ["permit"] and sim.position == "none"
    assert slips == [result["retained_record"]]
    assert alerts == [("card_transport", "card_retained", f"record {slips[0]}")]
    journaled = TakeBack.model_validate(result)
    facts = {k: v for k, v in journaled.model_dump().items() if k in TakeBack.JOURNAL}
    assert facts["retained"] and facts["retained_record"].startswith("R")
    assert "permit" not in str(facts)  # the journal names the record, not the card


@pytest.mark.parametrize("transport", [TransportProfile(bin_count=30)], indirect=True)
def test_a_full_bin_leaves_the_card_at_the_gate_and_alerts(transport):
    driver, sim = transport
    answers, slips, alerts = served(driver)
    result = answers.get(timeout=10)["result"]
    assert result == {"removed": False, "left_at_gate": True}
    assert sim.position == "gate" and not sim.captured and not slips
    assert alerts[0][:2] == ("card_transport", "bin_full")
    assert driver.status.media["bin"] == "full"
