"""Sites (#24): a terminal's site comes from its enrolment (`kiosk enroll --site`), else
from its name (an older terminal sends none); an administrator changes it, in the
audit log, from the console or `kiosk-backend site`; `/console/api/sites` on a
generated bureau's day sent through a real backend matches this test's own count, and
its CSV says the same; the console's other tables have their CSV."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import inspect

from backend.sites_cli import listing, set_site
from tests.backend.bureau import DAY_START, NOW, TERMINALS, bureau_day
from tests.backend.harness import Backend, Clock
from tests.backend.test_followups import record
from tests.services.backend import LiveBackend
from wire import crypto

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[LiveBackend, Clock]]:
    clock = Clock(NOW)
    # the run's suite (make test runs gm, then intl): what `kiosk enroll` makes its key in
    backend = LiveBackend(tmp_path / "backend", clock, crypto_suite=crypto.DEFAULT)
    backend.start()
    yield backend, clock
    backend.stop()
    backend.app.state.engine.dispose()


def kiosk(folder: Path, *args: str, name: str = "望京 9号机") -> subprocess.CompletedProcess[str]:
    """`kiosk` of this checkout, its own config: the name in `[terminal]`."""
    config = folder / "kiosk.toml"
    identity = folder / "identity.json"
    config.write_text(f'[terminal]\nname = "{name}"\n[backend]\nidentity_file = "{identity}"\n'
                      "timeout_s = 5\n", encoding="utf-8")  # fmt: skip
    environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(folder),
                   "PYTHONPATH": str(ROOT), "KIOSK__CACHE__DATABASE": str(folder / "kiosk.db"),
                   "KIOSK__CACHE__KEY_FILE": str(folder / "keys.json")}  # fmt: skip
    if "KIOSK_CRYPTO_DEFAULT" in os.environ:
        environment["KIOSK_CRYPTO_DEFAULT"] = os.environ["KIOSK_CRYPTO_DEFAULT"]
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--lang", "en", "--config",
                           str(config), *args], capture_output=True, text=True, timeout=120,
                          env=environment)  # fmt: skip


def test_the_site_from_enrolment_else_from_the_name_and_an_administrator_changes_it(
    live: tuple[LiveBackend, Clock], tmp_path: Path
) -> None:
    backend, clock = live
    site = "北京市公安局朝阳分局 望京派出所"
    for folder, name, extra in (("new", "望京 9号机", ["--site", f"  {site} "]),
                                ("old", "三里屯 3号机", [])):  # fmt: skip
        (tmp_path / folder).mkdir()
        done = kiosk(tmp_path / folder, "enroll", "--backend", backend.url, "--code",
                     backend.code(), *extra, name=name)  # fmt: skip
        assert done.returncode == 0, done.stderr
    bad = kiosk(tmp_path, "enroll", "--backend", backend.url, "--code", "X", "--site", "a\x01b")
    assert bad.returncode == 2 and "--site" in bad.stderr, bad.stderr
    chief = backend.console()
    terminals = chief.get(f"{backend.url}/console/api/summary", timeout=10).json()["terminals"]
    shown = {t["name"]: t["site"] for t in terminals}
    # the new one's own site; the one from before (no `site` sent): its name's
    assert shown == {"望京 9号机": site, "三里屯 3号机": "三里屯"}
    older = next(t["id"] for t in terminals if t["name"] == "三里屯 3号机")

    # an administrator sets the older one's site; a viewer and an operator may not
    url = f"{backend.url}/v1/admin/terminals/{older}/site"
    for role in ("viewer", "operator"):
        refused = backend.console(f"a{role}", role=role).put(url, json={"site": site}, timeout=10)
        assert refused.status_code == 403, refused.text
    assert chief.put(f"{backend.url}/v1/admin/terminals/Tnope/site", json={"site": site},
                     timeout=10).status_code == 404  # fmt: skip
    assert chief.put(url, json={"site": "a\nb"}, timeout=10).status_code == 422
    changed = chief.put(url, json={"site": f" {site}  "}, timeout=10)
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"terminal": older, "name": "三里屯 3号机", "site": site,
                              "shown_as": site}  # fmt: skip
    again = chief.get(f"{backend.url}/console/api/summary", timeout=10).json()["terminals"]
    assert {t["name"]: t["site"] for t in again}["三里屯 3号机"] == site
    cleared = chief.put(url, json={"site": None}, timeout=10).json()
    assert (cleared["site"], cleared["shown_as"]) == (None, "三里屯")
    # and from the command line, as the system user who ran it
    assert (
        set_site(backend.app.state.engine, older, "三里屯派出所", clock(), "ops") == "三里屯派出所"
    )
    assert set_site(backend.app.state.engine, "Tnope", "x", clock(), "ops") is None
    assert f"{older}\t三里屯 3号机\t三里屯派出所\t三里屯派出所" in listing(backend.app.state.engine)
    log = chief.get(f"{backend.url}/console/api/audit", timeout=10).json()["entries"]
    changes = [(e["actor_kind"], e["actor"], e["target"], e["detail"]) for e in log
               if e["action"] == "terminal_site"]  # fmt: skip
    assert changes == [
        ("cli", "ops", older, "- -> 三里屯派出所"),
        ("operator", "chief", older, f"{site} -> -"),
        ("operator", "chief", older, f"- -> {site}"),
    ]


def expected_sites(day: Any) -> dict[str, dict[str, Any]]:
    """Counted here from what was sent, not from the backend."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    for t in day.terminals.values():
        row = rows[t["site"]]
        row["terminals"] += 1
        row["online" if t["online"] else "offline"] += 1
        row["faults"] += bool(t["devices"])
        row["paper_low"] += t["paper"] < 50
    for s in day.sessions:
        if DAY_START <= s["ended_at"] < NOW:
            row = rows[day.terminals[s["terminal"]]["site"]]
            row["sessions"] += 1
            row["finished"] += s["end"] == "finished"
    for r in day.ratings:
        row = rows[day.terminals[r["terminal"]]["site"]]
        if DAY_START <= r["received_at"] < NOW:
            row["ratings"] += 1
            row["satisfied"] += r["stars"] >= 4
        if r["stars"] <= 2:
            row["followups_open"] += 1
            row["followups_overdue"] += r["received_at"] + 3 * 86400 < NOW
    return {site: dict(c) for site, c in rows.items()}


FIELDS = ("terminals", "online", "offline", "faults", "paper_low", "sessions", "finished",
          "ratings", "satisfied", "followups_open", "followups_overdue")  # fmt: skip


def test_sites_match_an_independent_count_and_the_csv_says_the_same(
    live: tuple[LiveBackend, Clock], tmp_path: Path
) -> None:
    backend, clock = live
    day = bureau_day(backend, clock, tmp_path)
    viewer = backend.console("wall", role="viewer")
    answer = viewer.get(f"{backend.url}/console/api/sites", timeout=30)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert (got["since"], got["until"]) == (DAY_START, NOW)
    expected = expected_sites(day)
    assert {s["site"] for s in got["sites"]} == set(expected)
    assert len(expected) == 4 and "北京 朝阳 三里屯" in expected  # the older terminals' name rule
    for row in got["sites"]:
        assert {f: row[f] for f in FIELDS} == {f: expected[row["site"]].get(f, 0) for f in FIELDS}
        share = row["finished"] / row["sessions"] if row["sessions"] else None
        assert row["finished_share"] == (round(share, 4) if share is not None else None)
    total = got["total"]
    for f in FIELDS:
        assert total[f] == sum(e.get(f, 0) for e in expected.values()), f
    assert total["sessions"] > 150 and total["faults"] == 2 and total["offline"] == 1
    assert total["followups_overdue"] == 2 and total["paper_min"] == 20
    today = [s for s in day.sessions if DAY_START <= s["ended_at"] < NOW]
    hours = Counter(int((s["ended_at"] - DAY_START) // 3600) for s in today)
    assert [h["sessions"] for h in got["hours"]] == [hours.get(h, 0) for h in range(18)]
    assert got["hours"][0]["hour"] == DAY_START and len(got["hours"]) == 18  # 00:00 .. 17:00
    services = Counter(s["flow"] for s in today)
    assert {s["service"]: s["sessions"] for s in got["services"]} == dict(services)
    assert [s["sessions"] for s in got["services"]] == sorted(services.values(), reverse=True)

    for table, rows in (("sites", [*got["sites"], total]), ("hours", got["hours"]),
                        ("services", got["services"])):  # fmt: skip
        text = viewer.get(f"{backend.url}/console/api/sites?format=csv&table={table}", timeout=30)
        assert text.headers["content-type"].startswith("text/csv")
        assert text.content.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read the Chinese
        read = list(csv.DictReader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert read == [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]

    # a window of its own: yesterday's sessions only
    window = {"since": DAY_START - 86400, "until": DAY_START}
    yesterday = viewer.get(f"{backend.url}/console/api/sites", params=window).json()
    assert yesterday["total"]["sessions"] == sum(
        1 for s in day.sessions if DAY_START - 86400 <= s["ended_at"] < DAY_START
    )
    bad = viewer.get(f"{backend.url}/console/api/sites", params={"since": NOW, "until": 1})
    assert (bad.status_code, bad.json()["code"]) == (422, "bad_window")


def test_roles_and_the_console_tables_as_csv(
    live: tuple[LiveBackend, Clock], tmp_path: Path
) -> None:
    backend, clock = live
    bureau_day(backend, clock, tmp_path)
    nobody = requests.get(f"{backend.url}/console/api/sites", timeout=10)
    assert nobody.status_code == 403
    viewer = backend.console("watcher", role="viewer")
    assert viewer.get(f"{backend.url}/console/api/audit?format=csv").status_code == 403
    summary = viewer.get(f"{backend.url}/console/api/summary", timeout=10).json()
    for table in ("terminals", "alerts"):
        text = viewer.get(f"{backend.url}/console/api/summary?format=csv&table={table}")
        assert text.status_code == 200 and text.content.startswith(b"\xef\xbb\xbf")
        read = list(csv.DictReader(io.StringIO(text.content.decode("utf-8-sig"))))
        assert len(read) == len(summary[table])
        key = "id" if table == "terminals" else "terminal"
        assert [r[key] for r in read] == [str(r[key]) for r in summary[table]]
    text = viewer.get(f"{backend.url}/console/api/summary?format=csv&table=terminals").content
    terminals = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    assert {r["name"]: r["site"] for r in terminals} == {t["name"]: t["site"] for t in
                                                         summary["terminals"]}  # fmt: skip
    assert len(terminals) == len(TERMINALS)
    hours = viewer.get(f"{backend.url}/console/api/summary?format=csv&table=transactions")
    assert hours.status_code == 200
    assert viewer.get(f"{backend.url}/console/api/help?format=csv").status_code == 200
    chief = backend.console()
    audit = chief.get(f"{backend.url}/console/api/audit?format=csv", timeout=10)
    assert audit.content.decode("utf-8-sig").splitlines()[0] == (
        "at,actor_kind,actor,session,source,action,target,detail"
    )
    # the links the console's page gives: each answers a CSV
    page = requests.get(f"{backend.url}/console", timeout=10).text
    hrefs = {part.split('"')[0].replace("&amp;", "&") for part in page.split('href="')[1:]}
    links = sorted(h for h in hrefs if "format=csv" in h)
    assert len(links) >= 12, links
    for link in links:
        answer = chief.get(backend.url + link, timeout=30)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(
            "text/csv"
        ), link


def test_0014_comes_off_and_back_the_terminals_and_their_records_kept(backend: Backend) -> None:
    from tests.backend.test_schema import _migrate

    terminal = backend.enrol()
    terminal.records(record("rating-one", transaction="s1", stars=5))  # rows that refer to it
    engine = backend.app.state.engine
    set_site(engine, terminal.id, "望京派出所", backend.clock(), "ops")
    _migrate(backend, "downgrade", "0013")
    assert "site" not in {c["name"] for c in inspect(engine).get_columns("terminals")}
    _migrate(backend, "upgrade", "head")
    assert listing(engine)[1].split("\t")[2:] == ["-", "booth"]  # the name's site again
