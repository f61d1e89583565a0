"""The endorsement on the permit's rewritable back, on the card printer: the second half
of the `write_chip` step (kiosk/steps/chip.py) when the flow asks for it (`card_back:
true`) and the terminal has a card printer.

Why inside the write step rather than a step of its own: the back shows what the chip
now holds (one endorsement, made once), the card does not move between the two (both
happen at the card unit's read/write position), and the card printer is hardware a
terminal may lack, as the card transport is: a step needing it would make the whole
endorsement unavailable on a terminal without one (specs/steps.md), where the chip
alone is the endorsement. A failed print fails the write step, so the flow's recovery
(the refund) follows, as for a failed chip write.

The strip is erased, printed and read back (drivers/card_printer/driver.py `rewrite`);
the step's result says `card_back: verified` (read back the same), `printed` (a module
that cannot read back) or `none` (no card printer, or not asked).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.citypack import CityPack
from kiosk.steps.devices import failure
from kiosk.strings import Catalogue

log = logging.getLogger("kiosk.card_back")

PRINT_TIMEOUT_S = 45.0  # erase, a 14 KB image at 115,200 baud, print, read back: ~4 s


class CardBackPrinting:
    def __init__(
        self,
        printer: Any,
        pack: Callable[[], CityPack],
        strings: Catalogue,
        timeout_s: float = PRINT_TIMEOUT_S,
    ) -> None:
        self.printer = printer
        self.pack = pack  # the pulled one when the backend gave one, else the packaged
        self.strings = strings
        self.timeout_s = timeout_s

    def print_endorsement(self, endorsement: Any, running: list[Any]) -> dict[str, Any]:
        """Erase, print and read back the strip of the card at the read/write position
        (blocking: on a step's thread). `running` gets the printer's command, for the
        step's cancel. Returns `{"card_back": ...}` or a failure (`{"fail": ...}`)."""
        from kiosk.documents import card_back as back
        from kiosk.documents.fonts import MissingGlyph

        pack = self.pack()
        layout = pack.card_back
        text = back.CardBackText(endorsement.region, endorsement.kind, endorsement.trips,
                            endorsement.valid_until, layout.office or pack.issuer)  # fmt: skip
        try:
            image = back.raster(back.render(back.lines(text, layout, self.strings), layout))
        except (back.CardBackDoesNotFit, MissingGlyph) as exc:
            log.error("the card back cannot be laid out ([card_back] of the city pack): %s", exc)
            return {"fail": "invalid_data", "recovery": "operator"}
        handle = self.printer.rewrite(image, self.timeout_s)
        running.append(handle)
        done = handle.result()
        if not done.ok:
            log.error("the card back was not printed: %s/%s", done.code.value, done.error)
            return failure(done)
        return {"card_back": "verified" if done.data.get("verified") else "printed"}
