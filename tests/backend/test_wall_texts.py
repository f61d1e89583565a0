"""The citizen texts the wall and the console show for services and steps
(backend/console/texts.json): made from the flows (flows/services/*.yaml: a flow's
`title`, each step's `text`) and the terminal's catalogue (kiosk/locale, Chinese and
English), so that the backend reads neither the flows nor the terminal's catalogue
(it shares only wire/ with the terminal). This test makes the file again and fails
when it differs: a flow or a translation changed without it. `KIOSK_UPDATE_BASELINES=1`
writes it (as the wall's screenshots)."""

from __future__ import annotations

import json
import os

from backend import cockpit
from flows.loader import flow_files, load_flow
from kiosk.strings import Catalogue

LANGUAGES = ("zh_CN", "en")
# read when the module is collected: the suite's autouse fixture takes KIOSK* variables
# out of each test's environment
UPDATE = bool(os.environ.get("KIOSK_UPDATE_BASELINES"))


def made() -> dict[str, object]:
    strings = Catalogue.load()
    services: dict[str, object] = {}
    for path in flow_files():
        flow = load_flow(path, strings)
        services[flow.flow] = {
            **{lang: strings.text(flow.title, lang) for lang in LANGUAGES},
            "steps": {step_id: {lang: strings.text(step.text, lang) for lang in LANGUAGES}
                      for step_id, step in flow.steps.items()},
        }  # fmt: skip
    return {"made_by": "tests/backend/test_wall_texts.py", "services": services}


def test_the_texts_are_the_flows_and_their_translations() -> None:
    expected = made()
    if UPDATE:
        cockpit.TEXTS.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n",
                                 encoding="utf-8")  # fmt: skip
    assert json.loads(cockpit.TEXTS.read_text(encoding="utf-8")) == expected
    services = expected["services"]
    assert isinstance(services, dict) and len(services) >= 5
    permit = services["permit_endorsement"]
    assert permit["steps"]["insert_permit"] == {
        "zh_CN": "请将通行证放入证件槽",
        "en": "Please insert your permit into the slot",
    }
    assert cockpit.texts() == expected  # what the backend serves
