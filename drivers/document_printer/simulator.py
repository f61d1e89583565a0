"""The simulated A4 printer: a real private CUPS whose queue `kiosk_a4` prints to the
`kiosksim` backend (kiosksim_backend.py), which counts paper, keeps what it prints,
and reports paper out, jam, door open, toner low or offline as CUPS state reasons.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from drivers.document_printer.cupsd import PrivateCups

BACKEND = Path(__file__).resolve().parent / "kiosksim_backend.py"
QUEUE = "kiosk_a4"


@dataclass
class PaperProfile:
    paper: int = 250  # sheets in the tray
    jam: bool = False
    door_open: bool = False
    toner_low: bool = False
    offline: bool = False
    slow_s: float = 0.0  # how long the printer takes per job


class CupsPrinterSimulator:
    name = "document_printer"
    profile_class = PaperProfile

    def __init__(self, profile: PaperProfile | None = None, faults: object = None) -> None:
        self.profile = profile or PaperProfile()
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-a4-"))
        (self.folder / "received").mkdir()
        self.folder.chmod(0o777)  # the backend runs as lp
        (self.folder / "received").chmod(0o777)
        self.cups = PrivateCups({"kiosksim": BACKEND})

    @property
    def address(self) -> str:
        """What the driver opens: `server/queue`."""
        return f"{self.cups.server}/{QUEUE}"

    def start(self) -> CupsPrinterSimulator:
        self.save()
        self.cups.start()
        added = self.cups.run(
            "lpadmin", "-p", QUEUE, "-E", "-v", f"kiosksim:{self.folder}", "-m", "raw"
        )
        if added.returncode != 0:
            raise RuntimeError(f"lpadmin: {added.stderr.strip()}")
        return self

    def save(self) -> None:
        """Write the profile where the backend reads it (after changing it)."""
        path = self.folder / "state.json"
        path.write_text(json.dumps(asdict(self.profile)))
        path.chmod(0o666)

    def load(self) -> PaperProfile:
        self.profile = PaperProfile(**json.loads((self.folder / "state.json").read_text()))
        return self.profile

    def received(self) -> list[Path]:
        return sorted((self.folder / "received").glob("*.pdf"))

    def stop(self) -> None:
        self.cups.remove()
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)
