"""Command APDUs and what a card's status word means to the kiosk (ISO 7816-4)."""

from __future__ import annotations

from drivers.model import Code, DeviceError, Recovery

SW_OK = 0x9000
SW_AUTH_FAILED = 0x6300
SW_SECURITY_STATUS = 0x6982
SW_SM_MISSING = 0x6987
SW_SM_INCORRECT = 0x6988
SW_WRONG_DATA = 0x6A80
SW_FILE_NOT_FOUND = 0x6A82
SW_RECORD_NOT_FOUND = 0x6A83
SW_NOT_ENOUGH_MEMORY = 0x6A84
SW_WRONG_P1P2 = 0x6B00
SW_WRONG_LENGTH = 0x6700
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_MEMORY_FAILURE = 0x6581

# status word -> (error, code, recovery)
MEANINGS: dict[int, tuple[str, Code, Recovery]] = {
    # BAC refused the key: the MRZ was typed or read wrong, or it is another document
    SW_AUTH_FAILED: ("access_denied", Code.USER_ERROR, Recovery.USER_ACTION),
    SW_SECURITY_STATUS: ("not_authenticated", Code.SEQUENCE_ERROR, Recovery.RETRY),
    SW_SM_MISSING: ("secure_messaging", Code.INVALID_DATA, Recovery.RETRY),
    SW_SM_INCORRECT: ("secure_messaging", Code.INVALID_DATA, Recovery.RETRY),
    SW_WRONG_DATA: ("refused_data", Code.INVALID_DATA, Recovery.NONE),
    SW_FILE_NOT_FOUND: ("file_not_found", Code.UNSUPPORTED, Recovery.NONE),
    SW_RECORD_NOT_FOUND: ("record_not_found", Code.UNSUPPORTED, Recovery.NONE),
    # the permit holds no more endorsements: a counter must issue a new card
    SW_NOT_ENOUGH_MEMORY: ("card_full", Code.INVALID_DATA, Recovery.OPERATOR),
    SW_WRONG_P1P2: ("not_supported", Code.UNSUPPORTED, Recovery.NONE),
    SW_WRONG_LENGTH: ("not_supported", Code.UNSUPPORTED, Recovery.NONE),
    SW_INS_NOT_SUPPORTED: ("not_supported", Code.UNSUPPORTED, Recovery.NONE),
    SW_CLA_NOT_SUPPORTED: ("not_supported", Code.UNSUPPORTED, Recovery.NONE),
    SW_MEMORY_FAILURE: ("card_memory", Code.HARDWARE_ERROR, Recovery.OPERATOR),
}


class StatusWordError(DeviceError):
    """The card refused a command; `error` says what that means here."""

    def __init__(self, sw: int, command: str) -> None:
        error, self.code, self.recovery = MEANINGS.get(
            sw, (f"sw_{sw:04x}", Code.HARDWARE_ERROR, Recovery.OPERATOR)
        )
        super().__init__(f"{command}: the card answered {sw:04X}", error)
        self.sw = sw


def command(
    cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None
) -> bytes:
    """A short APDU (Lc and Le of one byte; Le 0 asks for up to 256)."""
    apdu = bytes([cla, ins, p1, p2])
    if data:
        apdu += bytes([len(data)]) + data
    if le is not None:
        apdu += bytes([le & 0xFF])
    return apdu


def parse_command(apdu: bytes) -> tuple[bytes, bytes, int | None]:
    """(header, data, le) of a short command APDU; ValueError if it is not one."""
    if len(apdu) < 4:
        raise ValueError("shorter than a header")
    header, body = apdu[:4], apdu[4:]
    if not body:
        return header, b"", None
    if len(body) == 1:
        return header, b"", body[0] or 256
    lc = body[0]
    if lc == 0 or len(body) not in (1 + lc, 2 + lc):
        raise ValueError("Lc does not match the data")
    le = (body[1 + lc] or 256) if len(body) == 2 + lc else None
    return header, body[1 : 1 + lc], le
