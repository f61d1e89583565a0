"""Reading a travel document's chip through the real PC/SC stack (pcscd, vpcd, the
simulated card): BAC, EF.COM, DG1 and a 20 KB JPEG face in DG2, decoded. Also the
endorsement write (read, append, read back). Prints one JSON object.
Target: the document read in at most 1.5 s."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from drivers.smartcard import pcscd, permit
from drivers.smartcard.driver import PcscCardReader
from drivers.smartcard.simulator import SmartcardProfile, VpcdCardSimulator

FACE = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces" / "grace_hopper.jpg"
KEY = ("C01234567", "800101", "300101")


def main() -> None:
    daemon = pcscd.ensure_running()
    sim = VpcdCardSimulator(SmartcardProfile(face_image=str(FACE), face_bytes=20_000)).start()
    reader = PcscCardReader(sim.address)
    reads, writes, face_bytes, apdus = [], [], 0, 0
    try:
        reader.open().result()
        while reader.status.media.get("card") != "present":
            time.sleep(0.05)
        issuer = bytes.fromhex(sim.profile.issuer_key)
        for n in range(10):
            before = sim.apdus
            started = time.perf_counter()
            done = reader.read_document(*KEY).result()
            reads.append(time.perf_counter() - started)
            assert done.ok and done.data["document"].face is not None, done
            face_bytes, apdus = len(done.data["document"].face.data), sim.apdus - before
            endorsement = permit.Endorsement(
                f"B-{n}", "HK", "G", 1, "20270301", "202611231200", "B"
            )
            started = time.perf_counter()
            assert reader.write_endorsement(KEY, issuer, endorsement).result().ok
            writes.append(time.perf_counter() - started)
    finally:
        reader.close()
        sim.stop()
        if daemon is not None:
            daemon.stop()
    print(
        json.dumps(
            {
                "benchmark": "chip_read",
                "dg2_face_bytes": face_bytes,
                "apdus_per_read": apdus,
                "bac_dg1_dg2_median_s": round(statistics.median(reads), 3),
                "bac_dg1_dg2_max_s": round(max(reads), 3),
                "endorsement_write_median_s": round(statistics.median(writes), 3),
                "target_s": 1.5,
            }
        )
    )


if __name__ == "__main__":
    main()
