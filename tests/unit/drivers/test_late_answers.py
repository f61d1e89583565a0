"""A late answer is never taken for the next command's (the R30x fingerprint module
and the ID-card reader's SAM; the same rule keeps the receipt printer's and the I/O
boards', test_escpos_status.py and test_modbus_late_answer.py).

A command cancelled while the device was slow (the citizen gives up while the SAM
reads the card) leaves its answer owed; it comes after the cancel. Neither protocol's
answer names its command, so a driver that reads it as the next command's answer is
one answer behind from then on. The link here is a script of bytes; the late answer
lands exactly between the two commands.
"""

from __future__ import annotations

import pytest

from drivers.fingerprint import packets as pk
from drivers.fingerprint.driver import R30xFingerprint
from drivers.id_card import sam
from drivers.id_card.driver import SamIdCardReader
from drivers.model import Canceled
from tests.unit.drivers.scripted import ScriptedLine, context


def test_fingerprint_a_late_acknowledgement_is_not_the_next_commands() -> None:
    capacity = [300]

    def module(request: bytes) -> bytes:  # ReadSysPara (0x0F): 16 bytes of parameters
        assert request[9] == 0x0F
        params = bytes(4) + capacity[0].to_bytes(2, "big") + bytes(10)
        return pk.packet(pk.ACK, b"\x00" + params)

    driver = R30xFingerprint(port="/dev/null-never-opened")
    line = driver.link = ScriptedLine(module)  # type: ignore[assignment]
    try:
        line.owe_next = True
        with pytest.raises(Canceled):
            driver._read_params(context())
        line.late()
        capacity[0] = 1000  # another module's answer now
        assert driver._read_params(context())["capacity"] == 1000
        assert line.line == b""
    finally:
        driver.close()


def sam_reply(sw3: int, data: bytes) -> bytes:
    body = bytes([0x00, 0x00, sw3]) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return sam.PREAMBLE + length + body + bytes([sam.checksum(length + body)])


def test_id_card_a_late_reply_is_not_the_next_commands() -> None:
    def reader(request: bytes) -> bytes:  # each reply's data: the command it answers
        return sam_reply(sam.SW_OK, request[7:9])

    driver = SamIdCardReader(port="/dev/null-never-opened")
    line = driver.link = ScriptedLine(reader)  # type: ignore[assignment]
    try:
        line.owe_next = True
        with pytest.raises(Canceled):
            driver._sam_status(context())
        line.late()
        assert driver._sam_id(context()) == {"sam_id": bytes(sam.READ_SAM_ID).hex()}
        assert line.line == b""
    finally:
        driver.close()
