"""Hardware abstraction layer: the device model, one package per device class with
its drivers and wire-level simulator, transports, fault injection and the vendor
conformance kit.

Imports nothing else of the project, so a vendor can take this package alone.
"""
