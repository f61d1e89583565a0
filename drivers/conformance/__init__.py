"""The vendor conformance kit: certify a driver against our simulator, every fault
included, without the hardware. `kiosk conformance DEVICE --driver module:Class`."""
