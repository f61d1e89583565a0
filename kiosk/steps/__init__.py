"""The step services: what runs a flow's step on the terminal's devices and links
once the engine has entered it (reading a card, paying, printing, asking the backend).

A step service is an object the shell holds, Qt-free and engine-free:

- `serves(step_type)` says whether it runs that step type here (on this terminal,
  with these devices);
- `start(step_type, params, inputs, finish)` returns at once a function that cancels
  the step, and later calls `finish` from a thread of its own with
  `{"result": {...}}` or `{"fail": code, "recovery": hint}`; the shell carries that
  to its own thread;
- `wipe()` forgets the session's personal data; what the shell hands in (`progress`,
  `preview`, `session_photos`, `language`, `citizen_session`) is set as attributes
  by whoever takes them.

The modules:

- `devices`: the steps the devices serve (the ID card, the scanner, the fingerprint
  pad, the citizen taking a card back), and the helpers other services share
  (`Finish`, `failure`, `when_done`);
- `scanning`: the `scan_document` step on the A4 scanner (a paper the citizen brings,
  scanned, shown, scanned again or kept; the page held for the session only);
- `signing`: the `sign` step on the signature pad (the ink shown as it is written,
  sign again or confirm on the screen or the pad; the PNG held for the session only);
- `chip`: the permit's chip on the smartcard reader (read, write the endorsement);
- `printing`: the print step, slips on the receipt printer, proofs on the document
  printer;
- `backend`: the `backend` step, online operations and those queued in the outbox;
- `payments`: the pay step, QR micropay and the bank card, never charging twice;
- `proof_check`: the `verify_proof` step, a scanned proof checked against the trusted
  issuer keys, offline;
- `chain`: several step services as one, the composer the shell is handed
  (kiosk.app.step_services builds it).

The face check (kiosk/identity/service.py) and the simulated registry
(kiosk/sim_registry.py) keep the same contract beside their own domains.
"""
