"""The shared test services work end to end, with the real client tools."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.service

ATR = bytes.fromhex("3B8880010000000000000000")


class TinyCard(threading.Thread):
    """The least a vpcd card program does: answer power, ATR and APDUs (9000)."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.apdus: list[bytes] = []
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)

    def _recv(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def run(self) -> None:
        try:
            while True:
                (length,) = struct.unpack(">H", self._recv(2))
                message = self._recv(length)
                if length == 1:  # control: 0 off, 1 on, 2 reset, 4 get ATR
                    if message[0] == 4:
                        self.sock.sendall(struct.pack(">H", len(ATR)) + ATR)
                    continue
                self.apdus.append(message)
                self.sock.sendall(struct.pack(">H", 2) + b"\x90\x00")
        except (EOFError, OSError):
            return


def test_pcscd_fixture_gives_a_reader_a_card_can_be_put_in(pcscd_service):
    from smartcard.System import readers

    card = TinyCard(pcscd_service.card_ports[0])
    card.start()
    names = [str(r) for r in readers()]
    assert list(pcscd_service.readers) == names[:2]
    deadline = time.monotonic() + 10
    connection = readers()[0].createConnection()
    while True:
        try:
            connection.connect()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert bytes(connection.getATR()) == ATR
    select_mf = [0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]
    _, sw1, sw2 = connection.transmit(select_mf)
    assert (sw1, sw2) == (0x90, 0x00)
    assert card.apdus == [bytes(select_mf)]
    connection.disconnect()
    card.sock.close()


def test_postgres_fixture_is_a_private_cluster_on_loopback(postgres_service):
    def psql(sql: str) -> str:
        result = subprocess.run(
            ["psql", postgres_service.url, "-tAc", sql], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    psql("CREATE TABLE IF NOT EXISTS probe (n integer)")
    psql("INSERT INTO probe VALUES (41), (1)")
    assert psql("SELECT sum(n) FROM probe") == "42"
    assert psql("SHOW listen_addresses") == "127.0.0.1"
    assert psql("SHOW data_directory").startswith("/tmp/kiosk-test-postgres-")


def test_cups_fixture_prints_to_the_simulated_ipp_printer(print_spooler, tmp_path: Path):
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "slip.pdf"
    page = canvas.Canvas(str(pdf))
    page.drawString(72, 720, "kiosk test page")
    page.save()
    result = subprocess.run(
        ["lp", "-h", print_spooler.server, "-d", print_spooler.queue, str(pdf)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 30
    while not list(print_spooler.received.glob("*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    printed = list(print_spooler.received.glob("*"))
    assert printed, "the simulated printer received no job"
    assert printed[0].read_bytes().startswith(b"%PDF")


def test_xvfb_fixture_is_a_real_x_server(xvfb_display):
    result = subprocess.run(
        ["xdpyinfo", "-display", xvfb_display], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 0, result.stderr
    assert "1080x1920 pixels" in result.stdout
    assert os.path.exists(f"/tmp/.X11-unix/X{xvfb_display.lstrip(':')}")
