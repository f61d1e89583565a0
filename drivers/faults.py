"""Which faults each device's simulator answers to, and what each does: the one list
`kiosk sim --fault`, its live console and docs/devices.md's table are held to (a fault
a device does not have is refused, never silently ignored)."""

from __future__ import annotations

# Every serial simulator bends its answers on the wire (drivers/simulator.py).
WIRE = {
    "no_answer": "the next answer never comes",
    "slow_answer": "the next answer comes late (delay_ms; default 2,000 ms)",
    "dropped_link": "the USB-serial link drops and comes back as a new pty",
    "bad_checksum": "the next answer's checksum is wrong",
    "garbage": "the next answer is noise of the same length",
    "truncated": "the next answer stops half-way",
}

FAULTS: dict[str, dict[str, str]] = {
    "id_card": {
        **WIRE,
        "card_pulled": "the card leaves the reader during the next read",
        "two_cards": "two cards are in the field",
    },
    "fingerprint": dict(WIRE),
    "scanner": dict(WIRE),
    "receipt_printer": {
        **WIRE,
        "paper_out": "the paper runs out during the next slip",
        "cover_open": "the cover opens",
        "jam": "the paper jams in the middle of the next slip: it stops there, and "
        "nothing more prints until the jam is cleared",
    },
    "card_payment": {
        **WIRE,
        "payment_unknown": "the next sale is charged, then the terminal goes silent",
    },
    "smartcard": {
        "slow_answer": "the next answer comes late (delay_ms; default 2,000 ms)",
        "card_pulled": "the card leaves the field at the next command",
        "wrong_mac": "the next protected answer is changed in transit (its MAC kept)",
        "tearing": "the power goes during the next record write",
    },
    "camera": {
        "stall": "the frames stop, the connection stays (delay_ms; default 3,000 ms)",
        "disconnect": "the camera goes away and comes back on the same address",
        "black_frames": "the picture goes black for a while (delay_ms; default 2,000 ms)",
    },
    "document_printer": {
        "paper_out": "the tray is empty",
        "jam": "the paper jams in the middle of the next job: its first pages are out, "
        "the job fails, and the queue stops until the jam is cleared",
        "door_open": "a door is open",
        "toner_low": "the toner runs low (a warning; jobs still print)",
        "offline": "the printer is offline",
    },
    "card_transport": {
        **WIRE,
        "jam": "the card jams in the next movement: the transport stops until a reset",
        "stuck_at_gate": "the next card sent to the gate sticks there: it can be neither "
        "taken nor captured",
        "bin_full": "the retain bin is full: a card not taken stays at the gate",
        "slot_empty": "the next dispense finds its storage slot empty",
    },
    "ups": {
        "power_fail": "the mains fails: on battery, discharging (OB DISCHRG)",
        "low_battery": "the battery runs low (OB DISCHRG LB, 10 %, 60 s left)",
        "power_back": "the mains is back, charging (OL CHRG); a lost driver or upsd returns",
        "replace_battery": "the battery must be replaced (RB)",
        "driver_lost": "upsd loses its UPS driver (dummy-ups stops): the data go stale",
        "upsd_gone": "upsd stops: nothing answers on its port",
    },
    "scanner_a4": {
        "no_paper": "no document in the feeder (SANE_STATUS_NO_DOCS), until cleared",
        "cover_open": "the lid is open (SANE_STATUS_COVER_OPEN), until cleared",
        "jam": "the paper jams (SANE_STATUS_JAMMED), until a technician clears it",
        "busy": "another program holds the scanner (SANE_STATUS_DEVICE_BUSY), until cleared",
        "io_error": "the scanner fails on the bus (SANE_STATUS_IO_ERROR), until cleared",
        "slow_answer": "the image comes slowly: delay_ms (default 100, at most 200) after "
        "each 64 KiB of it",
        "disconnect": "the scanner leaves the bus and comes back after delay_ms (default 2,000 ms)",
    },
    "card_printer": {
        **WIRE,
        "head_error": "the thermal head fails: erases and prints are refused until a reset",
        "not_erased": "the next erase does not take: the strip keeps its image, and a print "
        "on it is refused",
        "corrupt_chunk": "two bits of the next image chunk flip in one bit column on the way "
        "in: the frame's XOR misses it, the chunk's CRC-16 does not",
    },
    "sensors": {
        **WIRE,
        "busy": "the board answers the next request with Modbus exception 06 (server busy)",
        "board_reset": "the board restarts on the next request: no answer, silent for a "
        "moment, then its boot counter is one more",
        "stuck_input": "the presence input stops following the world (a hung radar), until "
        "`unstick`",
    },
    "lights": {
        **WIRE,
        "busy": "the board answers the next request with Modbus exception 06 (server busy)",
        "board_reset": "the board restarts on the next request: no answer, silent for a "
        "moment, then every light is off and its boot counter one more",
    },
    "signature_pad": {  # ISDV4 has no checksum: no bad_checksum
        "no_answer": "the next answer (to a query, or a pen report) never comes",
        "slow_answer": "the next answer or pen report comes late (delay_ms; default 2,000 ms)",
        "dropped_link": "the USB-serial link drops and comes back as a new pty; the pad "
        "wakes up with sampling off",
        "garbage": "the next answer or pen report is noise of the same length",
        "truncated": "the next answer or pen report stops half-way",
        "no_pen": "the citizen's next signature is never written: the pen stays up",
        "out_of_range": "the next stroke is reported beyond the ranges the pad announced",
    },
}
SLOW_ANSWER_MS = 2_000  # past what a driver waits for most answers (its own timeout decides)


def faults_of(device: str) -> dict[str, str]:
    return FAULTS.get(device, {})
