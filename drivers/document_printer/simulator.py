"""The simulated A4 printer: a real private CUPS whose queue `kiosk_a4` prints to the
`kiosksim` backend (kiosksim_backend.py), which counts paper, keeps what it prints,
and reports paper out, jam, door open, toner low or offline as CUPS state reasons. A
jam can strike in the middle of a job: its first pages out, the job failed, the queue
stopped until the jam is cleared (`set jam false`).
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
    jam_mid_job: bool = False  # the next job jams half-way (then `jam` until cleared)


class StateFaults:
    """The A4 printer's faults (drivers/faults.py) change its state at once: CUPS runs
    the printer for each job, there is no command stream to bend. A fault plan's
    faults apply when the simulator starts; `inject` (the live console) now."""

    def __init__(self, simulator: CupsPrinterSimulator, plan: object) -> None:
        self.simulator = simulator
        self.planned = [spec.kind for spec in getattr(plan, "faults", [])]

    def inject(self, kind: str, delay_ms: int = 0) -> None:
        profile = self.simulator.load()  # what the jobs so far left (paper, a jam)
        if kind == "paper_out":
            profile.paper = 0
        elif kind == "jam":
            profile.jam_mid_job = True
        elif kind in ("door_open", "toner_low", "offline"):
            setattr(profile, kind, True)
        else:
            raise ValueError(f"the A4 printer has no fault {kind}")
        self.simulator.save()


class CupsPrinterSimulator:
    name = "document_printer"
    profile_class = PaperProfile

    def __init__(self, profile: PaperProfile | None = None, faults: object = None) -> None:
        self.profile = profile or PaperProfile()
        self.faults = StateFaults(self, faults)
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
        for kind in self.faults.planned:
            self.faults.inject(kind)
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

    @property
    def output_folder(self) -> Path:
        """Where each printed job is kept (job-N.pdf; job-N.partial for a jammed one)."""
        return self.folder / "received"

    def received(self) -> list[Path]:
        return sorted((self.folder / "received").glob("*.pdf"))

    def jammed(self) -> list[dict[str, int]]:
        """The jobs a jam stopped half-way: their pages, and how many came out."""
        found = sorted((self.folder / "received").glob("*.partial"))
        return [json.loads(path.read_text()) for path in found]

    def stop(self) -> None:
        self.cups.remove()
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)
