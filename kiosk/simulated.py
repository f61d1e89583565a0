"""Every device class that has a simulator, run with our driver on it: what
`kiosk run --sim` (and `make run`) gives a machine without hardware."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from drivers.conformance.kit import load_object
from drivers.registry import DEVICE_CLASSES

log = logging.getLogger("kiosk.simulated")


class SimulatedDevices:
    def __init__(self) -> None:
        self.simulators: dict[str, Any] = {}
        self.drivers: dict[str, Any] = {}

    def start(self) -> dict[str, str]:
        """Start them; return each device's state after opening its driver."""
        states = {}
        for name, device in DEVICE_CLASSES.items():
            if device.simulator is None or device.default_driver is None:
                continue
            try:
                simulator = load_object(device.simulator)().start()
            except (OSError, RuntimeError) as exc:  # one missing simulator is no reason
                log.error("simulator did not start", extra={"device": name, "error": str(exc)})
                states[name] = "no_device"
                continue
            driver = load_object(device.default_driver)(port=simulator.address)
            self.simulators[name], self.drivers[name] = simulator, driver
            done = driver.open().result()
            states[name] = driver.status.device.value if done.ok else done.code.value
            log.info(
                "simulated device",
                extra={
                    "device": name,
                    "state": states[name],
                    "port": getattr(simulator, "pts", simulator.address),
                },
            )
        return states

    def stop(self) -> None:
        for driver in self.drivers.values():
            driver.close()
        for simulator in self.simulators.values():
            simulator.stop()
        self.drivers.clear()
        self.simulators.clear()

    def __enter__(self) -> SimulatedDevices:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
