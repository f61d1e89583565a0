"""pcscd with the vpcd virtual reader for tests: the daemon lives in drivers/ so that
`kiosk sim smartcard` and the conformance suite can start it as the tests do."""

from __future__ import annotations

from drivers.smartcard.pcscd import LOCK, READERS, VPCD_PORTS, PcscDaemon, missing

__all__ = ["LOCK", "READERS", "VPCD_PORTS", "PcscDaemon", "missing"]
