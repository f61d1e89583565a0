"""The reader goes away with pcscd (a USB reader pulled, the daemon restarted) and
comes back: the driver reports it and carries on, without being reopened."""

from __future__ import annotations

import time

import pytest

from drivers.model import DeviceState, StatusChanged
from drivers.smartcard.driver import PcscCardReader
from drivers.smartcard.simulator import VpcdCardSimulator

pytestmark = pytest.mark.service


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_reader_gone_and_back(pcscd_service):
    events: list[StatusChanged] = []
    sim = VpcdCardSimulator().start()
    driver = PcscCardReader(port=sim.address, on_event=events.append)
    try:
        assert driver.open().result().ok
        assert wait_for(lambda: driver.status.media.get("card") == "present")
        pcscd_service.stop()
        assert wait_for(lambda: driver.status.device is DeviceState.NO_DEVICE)
        gone = driver.read_document("C01234567", "800101", "300101").result()
        assert (gone.code.value, gone.error) == ("link_lost", "no_reader")
        pcscd_service.start()
        assert wait_for(lambda: driver.status.media.get("card") == "present", 20)
        back = driver.read_document("C01234567", "800101", "300101").result()
        assert back.ok, back
        states = [e.after.device for e in events if isinstance(e, StatusChanged)]
        assert DeviceState.NO_DEVICE in states and states[-1] is DeviceState.ONLINE
    finally:
        driver.close()
        sim.stop()
