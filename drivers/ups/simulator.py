"""The simulated UPS: a real private upsd with NUT's `dummy-ups` behind it, whose UPS
is the profile written as a .dev file (dummy-ups reads it again when it changes, and
upsd hands it out within about a second).

Faults (drivers/faults.py), at once, as a UPS has no command stream to bend:
`power_fail` (OB DISCHRG), `low_battery` (OB DISCHRG LB), `power_back` (OL CHRG),
`replace_battery` (RB), `driver_lost` (dummy-ups stops: upsd calls the data stale),
`upsd_gone` (upsd stops: nothing listens). `power_back` also brings back a lost
driver or upsd.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from drivers.ups.nutd import UPS_NAME, PrivateNut


@dataclass
class UpsProfile:
    status: str = "OL"  # ups.status: flags OL OB LB RB CHRG DISCHRG FSD OFF BYPASS OVER
    charge: int = 100  # battery.charge, %
    runtime: int = 1200  # battery.runtime, s
    voltage: float = 230.0  # input.voltage
    mfr: str = "Simulated"
    model: str = "dummy"
    serial: str = "SIM-0001"

    def device_text(self) -> str:
        """The profile as dummy-ups reads it."""
        return (
            f"ups.status: {self.status}\nbattery.charge: {self.charge}\n"
            f"battery.runtime: {self.runtime}\ninput.voltage: {self.voltage:g}\n"
            f"ups.mfr: {self.mfr}\nups.model: {self.model}\nups.serial: {self.serial}\n"
        )


class UpsFaults:
    def __init__(self, simulator: NutUpsSimulator, plan: object) -> None:
        self.simulator = simulator
        self.planned = [spec.kind for spec in getattr(plan, "faults", [])]

    def inject(self, kind: str, delay_ms: int = 0) -> None:
        sim, profile = self.simulator, self.simulator.profile
        if kind == "power_fail":
            profile.status = "OB DISCHRG"
        elif kind == "low_battery":
            profile.status = "OB DISCHRG LB"
            profile.charge, profile.runtime = min(profile.charge, 10), min(profile.runtime, 60)
        elif kind == "power_back":
            profile.status = "OL CHRG"
            sim.nut.start_driver()
            sim.nut.start_upsd()
        elif kind == "replace_battery":
            profile.status = " ".join([*profile.status.split(), "RB"])
        elif kind == "driver_lost":
            sim.nut.stop_driver()
            return
        elif kind == "upsd_gone":
            sim.nut.stop_upsd()
            return
        else:
            raise ValueError(f"the UPS has no fault {kind}")
        sim.save()


class NutUpsSimulator:
    name = "ups"
    profile_class = UpsProfile

    def __init__(self, profile: UpsProfile | None = None, faults: object = None) -> None:
        self.profile = profile or UpsProfile()
        self.faults = UpsFaults(self, faults)
        self.nut = PrivateNut(self.profile.device_text())

    @property
    def address(self) -> str:
        """What the driver opens: `host:port/upsname`."""
        return f"{self.nut.server}/{UPS_NAME}"

    @property
    def device_file(self) -> Path:
        return self.nut.device_file

    def start(self) -> NutUpsSimulator:
        for kind in self.faults.planned:
            self.faults.inject(kind)
        self.save()
        self.nut.start()
        return self

    def save(self) -> None:
        """Write the profile where dummy-ups reads it (after changing it)."""
        temporary = self.device_file.with_suffix(".new")
        temporary.write_text(self.profile.device_text())
        temporary.replace(self.device_file)

    def load(self) -> UpsProfile:
        return self.profile

    def write_raw(self, text: str) -> None:
        """A .dev file as given (tests: any variables dummy-ups takes)."""
        temporary = self.device_file.with_suffix(".new")
        temporary.write_text(text)
        temporary.replace(self.device_file)

    def drop_link(self, down_s: float = 0.3) -> None:
        """upsd goes and comes back (the live console's `drop`)."""
        import time

        self.nut.stop_upsd()
        time.sleep(down_s)
        self.nut.start_upsd()

    def as_dict(self) -> dict[str, object]:
        return asdict(self.profile)

    def stop(self) -> None:
        self.nut.remove()
