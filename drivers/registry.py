"""The device classes this package knows: their drivers, simulators and suites.

Names are `module:Class` paths, loaded on demand: a vendor's driver is named the
same way in `[devices.<name>] driver = "acme.printer:AcmePrinter"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeviceClass:
    name: str
    drivers: dict[str, str] = field(default_factory=dict)  # short name -> module:Class
    simulator: str | None = None
    suite: str | None = None

    @property
    def default_driver(self) -> str | None:
        return next(iter(self.drivers.values()), None)


DEVICE_CLASSES = {
    "receipt_printer": DeviceClass(
        "receipt_printer",
        drivers={"escpos": "drivers.receipt_printer.driver:EscPosPrinter"},
        simulator="drivers.receipt_printer.simulator:EscPosSimulator",
        suite="drivers.conformance.receipt_printer:suite",
    ),
    # Declared by the design, built by the hardware issues still open.
    "id_card": DeviceClass(
        "id_card",
        drivers={"sam": "drivers.id_card.driver:SamIdCardReader"},
        simulator="drivers.id_card.simulator:SamSimulator",
        suite="drivers.conformance.id_card:suite",
    ),
    "fingerprint": DeviceClass(
        "fingerprint",
        drivers={"r30x": "drivers.fingerprint.driver:R30xFingerprint"},
        simulator="drivers.fingerprint.simulator:R30xSimulator",
        suite="drivers.conformance.fingerprint:suite",
    ),
    "scanner": DeviceClass(
        "scanner",
        drivers={"serial": "drivers.scanner.driver:SerialScanner"},
        simulator="drivers.scanner.simulator:ScannerSimulator",
        suite="drivers.conformance.scanner:suite",
    ),
    "card_payment": DeviceClass(
        "card_payment",
        drivers={"ecr": "drivers.card_payment.driver:EcrTerminal"},
        simulator="drivers.card_payment.simulator:EcrSimulator",
        suite="drivers.conformance.card_payment:suite",
    ),
    "smartcard": DeviceClass(
        "smartcard",
        drivers={"pcsc": "drivers.smartcard.driver:PcscCardReader"},
        simulator="drivers.smartcard.simulator:VpcdCardSimulator",
        suite="drivers.conformance.smartcard:suite",
    ),
    "camera": DeviceClass(
        "camera",
        drivers={"opencv": "drivers.camera.driver:OpenCvCamera"},
        simulator="drivers.camera.simulator:MjpegCameraSimulator",
        suite="drivers.conformance.camera:suite",
    ),
    "document_printer": DeviceClass(
        "document_printer",
        drivers={"cups": "drivers.document_printer.driver:CupsDocumentPrinter"},
        simulator="drivers.document_printer.simulator:CupsPrinterSimulator",
        suite="drivers.conformance.document_printer:suite",
    ),
    "card_transport": DeviceClass(
        "card_transport",
        drivers={"crt": "drivers.card_transport.driver:CrtCardTransport"},
        simulator="drivers.card_transport.simulator:CrtTransportSimulator",
        suite="drivers.conformance.card_transport:suite",
    ),
    "ups": DeviceClass(
        "ups",
        drivers={"nut": "drivers.ups.driver:NutUps"},
        simulator="drivers.ups.simulator:NutUpsSimulator",
        suite="drivers.conformance.ups:suite",
    ),
    "scanner_a4": DeviceClass(
        "scanner_a4",
        drivers={"sane": "drivers.scanner_a4.driver:SaneScanner"},
        simulator="drivers.scanner_a4.simulator:SaneScannerSimulator",
        suite="drivers.conformance.scanner_a4:suite",
    ),
    "card_printer": DeviceClass(
        "card_printer",
        drivers={"trw": "drivers.card_printer.driver:TrwCardPrinter"},
        simulator="drivers.card_printer.simulator:TrwPrinterSimulator",
        suite="drivers.conformance.card_printer:suite",
    ),
    "sensors": DeviceClass(
        "sensors",
        drivers={"modbus": "drivers.sensors.driver:ModbusSensors"},
        simulator="drivers.sensors.simulator:SensorBoardSimulator",
        suite="drivers.conformance.sensors:suite",
    ),
    "lights": DeviceClass(
        "lights",
        drivers={"modbus": "drivers.lights.driver:ModbusLights"},
        simulator="drivers.lights.simulator:LightBoardSimulator",
        suite="drivers.conformance.lights:suite",
    ),
    "signature_pad": DeviceClass(
        "signature_pad",
        drivers={"isdv4": "drivers.signature_pad.driver:Isdv4SignaturePad"},
        simulator="drivers.signature_pad.simulator:Isdv4PadSimulator",
        suite="drivers.conformance.signature_pad:suite",
    ),
}


def driver_path(device: str, driver: str) -> str:
    """A short driver name of the class, or a `module:Class` path as it is."""
    known = DEVICE_CLASSES[device].drivers
    return known.get(driver, driver)
