#!/usr/bin/python3
"""A CUPS backend that is the simulated printer. CUPS runs it for each job with the
device URI `kiosksim:<state folder>`; it reads the printer's state from
`state.json`, reports it to CUPS as printer-state-reasons (`STATE:` lines), keeps
what it printed in `received/`, and counts paper. Standard library only: CUPS runs
it as the `lp` user with the system's Python.
"""

import json
import os
import sys
import time

REASONS = (
    "media-empty-error",
    "media-jam-error",
    "door-open-error",
    "toner-low-report",
    "offline-report",
)

if len(sys.argv) == 1:  # discovery by `lpinfo -v`
    print('direct kiosksim "Kiosk" "Kiosk simulated A4 printer"')
    sys.exit(0)

folder = os.environ.get("DEVICE_URI", "").split(":", 1)[1]
with open(os.path.join(folder, "state.json")) as handle:
    state = json.load(handle)
data = open(sys.argv[6], "rb").read() if len(sys.argv) > 6 else sys.stdin.buffer.read()
pages = max(1, data.count(b"/Type /Page") - data.count(b"/Type /Pages"))


def save():
    with open(os.path.join(folder, "state.json"), "w") as handle:
        json.dump(state, handle)


def report(*reasons):
    cleared = [r for r in REASONS if r not in reasons]
    print("STATE: -" + ",".join(cleared), file=sys.stderr, flush=True)
    if reasons:
        print("STATE: +" + ",".join(reasons), file=sys.stderr, flush=True)


time.sleep(state.get("slow_s", 0))
toner = ("toner-low-report",) if state.get("toner_low") else ()
if state.get("offline"):
    report("offline-report", *toner)
    sys.exit(4)
if state.get("door_open"):
    report("door-open-error", *toner)
    sys.exit(4)
if state.get("jam"):
    report("media-jam-error", *toner)
    sys.exit(4)


if state["paper"] < pages:
    state["paper"] = 0
    save()
    report("media-empty-error", *toner)
    sys.exit(4)

if state.get("jam_mid_job"):
    # The sheet half-way through the job jams: the pages before it are out (kept as
    # the partial output), the jammed sheet is lost, the job fails and the queue
    # stops (exit 4) until someone clears the jam.
    out = min(pages - 1, pages // 2)
    state.update(jam=True, jam_mid_job=False, paper=max(0, state["paper"] - out - 1))
    save()
    with open(os.path.join(folder, "received", f"job-{sys.argv[1]}.partial"), "w") as handle:
        json.dump({"pages": pages, "pages_out": out}, handle)
    report("media-jam-error", *toner)
    sys.exit(4)
state["paper"] -= pages
with open(os.path.join(folder, "received", f"job-{sys.argv[1]}.pdf"), "wb") as out:
    out.write(data)
save()
report(*toner)
sys.exit(0)
