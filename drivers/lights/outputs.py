"""How the booth's guide lights are wired to the output board (the project's wiring,
docs/devices.md), shared by the driver and the simulator as a wiring plan, not a codec:

    coil n       output n lit (a LED ring round the slot, or the buzzer sounding)
    coil 16 + n  output n flashing: the board blinks it by itself (2 Hz) while lit
"""

from __future__ import annotations

OUTPUTS = {
    "id_card": 0,
    "smartcard": 1,
    "card_transport": 2,
    "receipt_printer": 3,
    "document_printer": 4,
    "scanner": 5,
    "fingerprint": 6,
    "card_payment": 7,
    "scanner_a4": 8,
    "buzzer": 15,
}
FLASH = 16  # the first flash coil
COILS = 32
MODES = ("off", "on", "blink")
