"""The driver's side of Modbus RTU (the simulator has its own code).

After the Modbus Application Protocol v1.1b3 and Modbus over Serial Line v1.02:

    request:  UNIT FC DATA... CRC(lo) CRC(hi)
    reply:    UNIT FC DATA... CRC        or   UNIT FC|0x80 EXCEPTION CRC

CRC-16/MODBUS: reflected polynomial 0xA001, initial 0xFFFF, sent low byte first. The
spec's own example, read coils 20..56 of unit 0x11, is `11 01 00 13 00 25 0E 84`.
Bits (coils, discrete inputs) travel eight to a byte, the lowest address in the
lowest bit; registers are big-endian 16-bit words.

The functions a board here answers: 01 read coils, 02 read discrete inputs, 04 read
input registers, 05 write single coil, 15 write multiple coils.
"""

from __future__ import annotations

from drivers.model import Code, DeviceError, ProtocolError, Recovery

READ_COILS, READ_INPUTS, READ_INPUT_REGISTERS = 0x01, 0x02, 0x04
WRITE_COIL, WRITE_COILS = 0x05, 0x0F
EXCEPTION = 0x80
COIL_ON, COIL_OFF = 0xFF00, 0x0000


def crc16(data: bytes) -> bytes:
    """CRC-16/MODBUS of `data`, as it goes on the wire (low byte first)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")


def frame(unit: int, pdu: bytes) -> bytes:
    """A request frame: the unit, the PDU (function code and data), the CRC."""
    body = bytes([unit]) + pdu
    return body + crc16(body)


def read_request(function: int, start: int, count: int) -> bytes:
    """The PDU of 01, 02 or 04: the first address and how many."""
    return bytes([function]) + start.to_bytes(2, "big") + count.to_bytes(2, "big")


def write_coils_request(start: int, bits: list[bool]) -> bytes:
    """The PDU of 15: the first coil, how many, the bytes that follow, the bits."""
    packed = pack_bits(bits)
    return (
        bytes([WRITE_COILS])
        + start.to_bytes(2, "big")
        + len(bits).to_bytes(2, "big")
        + bytes([len(packed)])
        + packed
    )


def pack_bits(bits: list[bool]) -> bytes:
    out = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def unpack_bits(data: bytes, count: int) -> list[bool]:
    if len(data) * 8 < count:
        raise ProtocolError(f"{len(data)} bytes cannot hold {count} bits", "bad_answer")
    return [bool(data[i // 8] >> (i % 8) & 1) for i in range(count)]


def registers(data: bytes) -> list[int]:
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]


def reply_size(function: int, first_data_byte: int) -> int:
    """How many bytes follow the unit and function code of a reply (CRC included),
    given the byte after them."""
    if function & EXCEPTION:
        return 1 + 2
    if function in (READ_COILS, READ_INPUTS, READ_INPUT_REGISTERS):
        return 1 + first_data_byte + 2  # the byte count, then that many bytes
    if function in (WRITE_COIL, WRITE_COILS):
        return 4 + 2  # the address and the value or the count, echoed
    raise ProtocolError(f"function {function:#04x} is not one of ours", "bad_answer")


# --- a board's refusals, typed ---------------------------------------------------------


class ModbusException(DeviceError):
    """The board answered with a Modbus exception; `error` names it."""


class IllegalFunction(ModbusException):
    code, recovery = Code.UNSUPPORTED, Recovery.OPERATOR


class IllegalAddress(ModbusException):
    code, recovery = Code.INVALID_DATA, Recovery.OPERATOR


class IllegalValue(ModbusException):
    code, recovery = Code.INVALID_DATA, Recovery.OPERATOR


class BoardFailure(ModbusException):
    code, recovery = Code.HARDWARE_ERROR, Recovery.OPERATOR


class BoardBusy(ModbusException):
    code, recovery = Code.DEVICE_NOT_READY, Recovery.RETRY


# exception code -> (class, error)
EXCEPTIONS: dict[int, tuple[type[ModbusException], str]] = {
    0x01: (IllegalFunction, "illegal_function"),
    0x02: (IllegalAddress, "illegal_address"),
    0x03: (IllegalValue, "illegal_value"),
    0x04: (BoardFailure, "board_failure"),
    0x06: (BoardBusy, "busy"),
}


def raise_exception(function: int, code: int) -> None:
    kind, error = EXCEPTIONS.get(code, (BoardFailure, f"exception_{code:02x}"))
    raise kind(f"the board refused function {function:#04x}: {error}", error)
