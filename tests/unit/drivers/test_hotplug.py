"""A device swapped behind the same port is noticed (USB serial number)."""

from __future__ import annotations

from types import SimpleNamespace

from drivers import transport
from drivers.model import DeviceSwapped
from drivers.receipt_printer.driver import EscPosPrinter
from drivers.receipt_printer.simulator import EscPosSimulator


def test_a_swapped_usb_device_is_an_event(monkeypatch):
    sim = EscPosSimulator().start()
    serials = iter(["A1", "A1", "B7"])
    current = {}

    def comports():
        return [
            SimpleNamespace(device=sim.pts, vid=0x0483, pid=0x5740, serial_number=current["serial"])
        ]

    monkeypatch.setattr(transport.list_ports, "comports", comports)
    events = []
    printer = EscPosPrinter(str(sim.link), on_event=events.append)
    try:
        for _ in range(3):
            current["serial"] = next(serials)
            printer.link.close()
            assert printer.query_status().result().ok
        swaps = [e for e in events if isinstance(e, DeviceSwapped)]
        assert swaps == [DeviceSwapped("receipt_printer", "0483:5740:A1", "0483:5740:B7")]
        assert printer.link.usb_identity == "0483:5740:B7"
    finally:
        printer.close()
        sim.stop()


def test_a_pty_has_no_usb_identity():
    sim = EscPosSimulator().start()
    try:
        assert transport.usb_identity(sim.pts) is None
    finally:
        sim.stop()
