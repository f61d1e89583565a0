"""The I/O boards' Modbus RTU, checked against a master written elsewhere
(minimalmodbus) and against the spec's own frames: our CRC is minimalmodbus's; its
reads and writes get from our simulators what our drivers get; and the frames our
light driver puts on a real pty are the ones the spec builds, byte for byte."""

from __future__ import annotations

import os
import pty
import select
import threading
import time
import tty

import minimalmodbus
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.io_board import modbus as mb
from drivers.io_board.simulator import crc_bytes
from drivers.lights.driver import ModbusLights
from drivers.lights.simulator import LightBoardSimulator
from drivers.sensors.driver import ModbusSensors
from drivers.sensors.simulator import SensorBoardSimulator


@given(st.binary(min_size=1, max_size=64))
@settings(max_examples=200, deadline=None)
def test_both_crcs_are_the_modbus_crc_of_minimalmodbus(data: bytes) -> None:
    assert mb.crc16(data) == crc_bytes(data) == minimalmodbus._calculate_crc(data)


def test_the_spec_example_frame() -> None:
    """Modbus Application Protocol, 6.1: read coils 20-56 of unit 0x11 (17)."""
    assert mb.frame(0x11, mb.read_request(mb.READ_COILS, 0x13, 0x25)).hex(" ") == (
        "11 01 00 13 00 25 0e 84"
    )


def master(port: str) -> minimalmodbus.Instrument:
    instrument = minimalmodbus.Instrument(port, 1)
    instrument.serial.baudrate = 9600
    instrument.serial.timeout = 0.5
    instrument.close_port_after_each_call = True
    return instrument


def test_minimalmodbus_reads_the_sensor_board_as_our_driver_does() -> None:
    sim = SensorBoardSimulator().start()
    try:
        sim.approach()
        sim.tamper_with()
        board = master(sim.pts)
        assert board.read_bits(0, 3, functioncode=2) == [1, 0, 1]  # presence, door, tamper
        serial_hi, serial_lo, firmware, boots = board.read_registers(0, 4, functioncode=4)
        assert (serial_hi << 16 | serial_lo, firmware, boots) == (20250101, 0x0102, 1)
        with pytest.raises(minimalmodbus.IllegalRequestError):  # exception 02: no DI 9
            board.read_bits(6, 4, functioncode=2)
        board.serial.close()

        driver = ModbusSensors(sim.address)
        try:
            done = driver.open().result()
            assert done.ok and driver.identity == f"{20250101:010d}", done
            media = driver.status.media
            assert (media["presence"], media["door"], media["tamper"]) == (
                "present",
                "closed",
                "tampered",
            )
        finally:
            driver.close()
    finally:
        sim.stop()


def test_minimalmodbus_and_our_driver_agree_on_the_light_board() -> None:
    sim = LightBoardSimulator().start()
    try:
        board = master(sim.pts)
        board.write_bits(0, [0, 0, 1] + [0] * 15 + [1])  # coil 2 lit, coil 18 its flash
        assert sim.states() == {"card_transport": "blink"}
        board.write_bit(15, 1, functioncode=5)  # the buzzer, by function 05
        assert sim.states() == {"card_transport": "blink", "buzzer": "on"}
        board.serial.close()

        driver = ModbusLights(sim.address)
        try:
            assert driver.open().result().ok  # every light off
            assert driver.show({"id_card": "blink", "receipt_printer": "on"}).result().ok
        finally:
            driver.close()
        coils = master(sim.pts).read_bits(0, 32, functioncode=1)
        assert [i for i, bit in enumerate(coils) if bit] == [0, 3, 16]
    finally:
        sim.stop()


class RawBoard:
    """The far end of a real pty, playing the board by hand: it keeps the frames the
    driver sent and answers each as the spec says, the CRC by minimalmodbus."""

    def __init__(self) -> None:
        self.master, slave = pty.openpty()
        tty.setraw(self.master)
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self.frames: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.02)[0]:
                continue
            buffer += os.read(self.master, 256)
            size = 9 + buffer[6] if len(buffer) > 6 and buffer[1] == 0x0F else 8
            if len(buffer) < size:
                continue
            request, buffer = buffer[:size], buffer[size:]
            self.frames.append(request)
            if request[1] == 0x04:  # identity: serial 7, firmware 1.0, boot 1
                body = bytes([1, 4, 8, 0, 0, 0, 7, 1, 0, 0, 1])
            else:  # a write's echo: the first coil and the count
                body = request[:6]
            os.write(self.master, body + minimalmodbus._calculate_crc(body))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        os.close(self.master)
        os.close(self._slave)


def test_the_light_driver_writes_the_spec_frames_on_the_wire() -> None:
    board = RawBoard()
    driver = ModbusLights(board.port)
    try:
        assert driver.open().result().ok
        assert driver.show({"card_transport": "blink"}).result().ok
        started = time.monotonic()
        while len(board.frames) < 3 and time.monotonic() - started < 2:
            time.sleep(0.01)
    finally:
        driver.close()
        board.close()
    # the identity (IR 0-3), then all 32 coils off, then coil 2 and its flash coil 18
    identity = bytes.fromhex("01 04 0000 0004")
    all_off = bytes.fromhex("01 0F 0000 0020 04 00000000")
    blink = bytes.fromhex("01 0F 0000 0020 04 04000400")
    assert board.frames == [
        frame + minimalmodbus._calculate_crc(frame) for frame in (identity, all_off, blink)
    ]
