"""Forecasts and early warnings (backend/forecast.py) through a live backend on
loopback: terminals send signed heartbeats whose consumable levels fall (and are
refilled); the run-out times are checked against numpy.polyfit over the samples the
sampling rule keeps, worked out here. The expected load is checked against a count
made here over a generated history of sessions; a failure spike raises exactly one
warning, a normal day none; the warnings' lifecycle by role, and their clearing."""

from __future__ import annotations

import argparse
import math
import random
import shlex
import shutil
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy
import pytest
import requests
from alembic import command
from alembic.config import Config
from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.orm import Session

from backend import forecast
from backend.db import MIGRATIONS, ConsumableSample, EarlyWarning, ServiceSession
from backend.forecast import REARM_S, fit_run, tonight_until
from tests.backend.conftest import NAMES, Fleet, cells, parsed
from tests.backend.harness import Backend
from wire.sync import Heartbeat, OutboxReport

HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0


# -- the estimator ------------------------------------------------------------------


def levels(rng: random.Random, start: float, count: int, step_s: float, refill_at: int,
           rate: float) -> list[tuple[float, int]]:  # fmt: skip
    """A falling level sampled every step_s, refilled to 100 at index `refill_at`."""
    found, level, at = [], 90.0, start
    for i in range(count):
        if i == refill_at:
            level = 100.0
        found.append((at, int(level)))
        level = max(0.0, level - rng.uniform(0, 2 * rate))
        at += step_s * rng.uniform(0.5, 1.5)
    return found


def polyfit_runout(run: list[tuple[float, int]]) -> float:
    t0 = run[0][0]
    slope, intercept = numpy.polyfit([t - t0 for t, _ in run], [y for _, y in run], 1)
    return float(t0 - intercept / slope)


@pytest.mark.parametrize("seed", range(5))
def test_the_estimate_is_the_least_squares_line_of_the_run_since_the_refill(seed: int) -> None:
    rng = random.Random(seed)
    series = levels(rng, 1_795_000_000.0, 60, 900, refill_at=25, rate=1.5)
    fit = fit_run(series)
    assert fit is not None
    run = series[25:]
    assert (fit.run_started_at, fit.samples, fit.level) == (run[0][0], len(run), run[-1][1])
    assert fit.runs_out_at == pytest.approx(polyfit_runout(run), abs=1.0)
    slope = numpy.polyfit([t for t, _ in run], [y for _, y in run], 1)[0]
    assert fit.rate_per_hour == pytest.approx(-slope * 3600, rel=1e-6)
    # a mutant that fits the whole series (no refill) is wrong by hours
    assert abs(polyfit_runout(series) - polyfit_runout(run)) > 3600


def test_no_consumption_no_estimate_and_empty_is_when_it_reached_zero() -> None:
    flat = fit_run([(0.0, 50), (3600.0, 50), (7200.0, 50)])
    assert flat is not None and flat.runs_out_at is None and flat.rate_per_hour is None
    assert fit_run([(0.0, 50)]) == forecast.Fit(50, 0.0, 1, None, None)
    assert fit_run([]) is None
    empty = fit_run([(0.0, 10), (600.0, 5), (1200.0, 0), (1800.0, 0)])
    assert empty is not None and empty.runs_out_at == 1200.0


def test_tonight_is_until_eight_in_the_morning_china_time() -> None:
    evening = datetime(2026, 11, 18, 14, tzinfo=UTC).timestamp()  # 22:00 in Beijing
    assert tonight_until(evening) == evening + 10 * HOUR
    assert tonight_until(evening + 9 * HOUR) == evening + 10 * HOUR  # 07:00: an hour more
    assert tonight_until(evening + 10 * HOUR) == evening + 34 * HOUR  # 08:00: the next


def test_binomial_tail_matches_scipy() -> None:
    from scipy.stats import binom

    for k, n, p in ((5, 40, 0.03), (12, 40, 0.03), (0, 10, 0.5), (40, 40, 0.2), (3, 500, 0.001)):
        assert forecast.binomial_tail(k, n, p) == pytest.approx(binom.sf(k - 1, n, p), rel=1e-9)


# -- a live backend -----------------------------------------------------------------


def beat(fleet: Fleet, name: str, consumables: dict[str, int]) -> None:
    """A signed heartbeat of the terminal with these levels."""
    body = Heartbeat(terminal_time=fleet.clock(), software_version="test",
                     consumables=consumables, outbox=OutboxReport(depth=0))  # fmt: skip
    answer = fleet.clients[name].call("POST", "/v1/heartbeat", body)
    assert answer.status_code == 200, answer.text


def put_sessions(fleet: Fleet, rows: list[tuple[str, float, str]]) -> None:
    """(terminal name, ended_at, end) rows straight into service_sessions."""
    table = cast(Table, ServiceSession.__table__)
    with Session(fleet.backend.app.state.engine) as db, db.begin():
        first = len(db.scalars(select(ServiceSession.record_seq)).all())
        db.execute(insert(table), [
            {"record_seq": first + i + 1, "terminal_id": fleet.ids[name],
             "session": f"s{first + i}", "service": "proof", "started_at": at - 60,
             "ended_at": at, "outcome": "done" if end == "finished" else end, "end": end,
             "reason": end, "exit_step": None, "steps": None, "duration_s": 60.0,
             "machine_s": 20.0, "citizen_s": 40.0}
            for i, (name, at, end) in enumerate(rows)
        ])  # fmt: skip


def warnings_now(fleet: Fleet, browser: requests.Session, **params: Any) -> list[dict[str, Any]]:
    """The warnings, the evaluation due again first."""
    fleet.clock.advance(forecast.EVALUATE_EVERY_S)
    return list(fleet.get(browser, "/console/api/warnings", **params)["warnings"])


def kept(beats: list[tuple[float, dict[str, int]]]) -> list[tuple[float, dict[str, int]]]:
    """The samples the rule keeps: a level changed since the last sample, or an hour
    went by (worked out here, apart from the backend's SQL)."""
    found: list[tuple[float, dict[str, int]]] = []
    for at, values in beats:
        if not found or found[-1][1] != values or at - found[-1][0] >= HOUR:
            found.append((at, values))
    return found


@pytest.mark.parametrize("fleet", ["sqlite", "postgresql"], indirect=True)
def test_run_outs_from_signed_heartbeats_match_polyfit(fleet: Fleet) -> None:
    rng = random.Random(24)
    name = NAMES[0]
    paper, ribbon, beats = 95.0, 80.0, []
    for i in range(220):  # a beat every 5-15 minutes for about 36 hours
        if i == 110:
            paper = 100.0  # refilled
        now_levels = {"paper": int(paper), "ribbon": int(ribbon), "cards": 40}
        beats.append((fleet.clock(), now_levels))
        beat(fleet, name, now_levels)
        busy = 8 <= (fleet.clock() / HOUR + 8) % 24 <= 20  # used by day only
        paper = max(1.0, paper - (rng.uniform(0, 1.6) if busy else 0))
        ribbon = max(1.0, ribbon - (rng.uniform(0, 0.3) if busy else 0))
        fleet.clock.advance(rng.choice([300, 600, 900]))
    beat(fleet, NAMES[1], {})  # reports nothing: nothing sampled, nothing forecast
    expected = kept(beats)
    with Session(fleet.backend.app.state.engine) as db:
        stored = [(s.at, s.levels) for s in db.scalars(
            select(ConsumableSample).order_by(ConsumableSample.id))]  # fmt: skip
    assert stored == expected
    assert len(expected) < len(beats) * 0.8  # sparse: unchanged beats within the hour add none

    viewer = fleet.backend.console("vera", role="viewer")
    now = fleet.clock()
    found = fleet.get(viewer, "/console/api/forecast")
    by_key = {(r["terminal"], r["consumable"]): r for r in found["runouts"]}
    assert set(by_key) == {(fleet.ids[name], k) for k in ("paper", "ribbon", "cards")}
    for key in ("paper", "ribbon"):
        series = [(at, values[key]) for at, values in expected]
        start = max([0] + [i for i in range(1, len(series)) if series[i][1] > series[i - 1][1]])
        run = series[start:]
        out = polyfit_runout(run)
        got = by_key[(fleet.ids[name], key)]
        assert got["runs_out_at"] == pytest.approx(out, abs=1.0), key
        assert (got["samples"], got["level"], got["run_started_at"]) == (
            len(run), run[-1][1], run[0][0])  # fmt: skip
        assert got["within_24h"] == (out <= now + DAY)
        assert got["tonight"] == (out <= tonight_until(now))
        assert (got["where"], got["site"]) == (name, "北京 海淀")
    assert by_key[(fleet.ids[name], "paper")]["run_started_at"] > beats[0][0]  # after the refill
    cards = by_key[(fleet.ids[name], "cards")]
    assert (cards["runs_out_at"], cards["rate_per_hour"], cards["tonight"]) == (None, None, False)
    outs = [r["runs_out_at"] for r in found["runouts"]]
    assert outs[-1] is None and outs[:-1] == sorted(outs[:-1])  # soonest first, unused last
    rows = parsed(fleet.get(viewer, "/console/api/forecast", format="csv", table="runouts"))
    assert rows == [cells(r) for r in found["runouts"]]


@pytest.mark.parametrize("fleet", ["sqlite", "postgresql"], indirect=True)
def test_expected_load_matches_a_count_of_the_history(fleet: Fleet) -> None:
    rng = random.Random(7)
    now = fleet.clock()
    first = math.floor(now / HOUR) * HOUR
    rows = []
    for hour in range(int(first - 6 * WEEK), int(first), int(HOUR)):
        for name in NAMES:
            peak = name.startswith("上海") and (hour / HOUR + 8) % 24 in (10, 11)
            for _ in range(rng.randint(0, 4) + (9 if peak else 0)):
                rows.append((name, hour + rng.choice([0.0, rng.uniform(0, HOUR - 1e-3)]),
                             rng.choice(["finished"] * 9 + ["cancelled"])))  # fmt: skip
    put_sessions(fleet, rows)
    viewer = fleet.backend.console("vera", role="viewer")
    found = fleet.get(viewer, "/console/api/forecast", weeks=4)["load"]
    assert found["hours"] == [first + j * HOUR for j in range(24)]
    sites = {"北京 海淀": 2, "上海 浦东": 1}
    assert [s["site"] for s in found["sites"]] == sorted(sites)
    busy_hours = 0
    for site in found["sites"]:
        assert site["terminals"] == sites[site["site"]]
        assert site["capacity"] == 6.0 * sites[site["site"]]
        for j, hour in enumerate(site["hours"]):
            start = first + j * HOUR
            weekly = [sum(1 for name, at, _ in rows if name.rsplit(" ", 1)[0] == site["site"]
                          and start - k * WEEK <= at < start - k * WEEK + HOUR)
                      for k in range(1, 5)]  # fmt: skip
            assert hour["at"] == start
            assert hour["mean"] == pytest.approx(statistics.mean(weekly), abs=1e-3)
            assert hour["sd"] == pytest.approx(statistics.stdev(weekly), abs=1e-3)
            assert hour["busy"] == (statistics.mean(weekly) > site["capacity"])
            busy_hours += hour["busy"]
    assert busy_hours >= 2  # 10:00 and 11:00 at the site of one terminal
    table = parsed(fleet.get(viewer, "/console/api/forecast", format="csv", table="load"))
    assert len(table) == 48
    assert [(r["site"], float(r["at"]), float(r["mean"]), r["busy"]) for r in table] == [
        (s["site"], h["at"], h["mean"], str(h["busy"])) for s in found["sites"] for h in s["hours"]
    ]
    (warning,) = warnings_now(fleet, viewer)  # one site, one warning, however many busy hours
    assert (warning["kind"], warning["subject"], warning["state"]) == (
        "busy",
        "上海 浦东",
        "raised",
    )
    assert warning["threshold"] == 6.0 and warning["value"] > 6.0
    fleet.backend.app.state.sessions_per_terminal_hour = 40.0  # serve: bigger terminals
    (warning,) = warnings_now(fleet, viewer)
    assert (warning["state"], warning["resolution"], warning["resolved_by"]) == (
        "resolved", "cleared", None)  # fmt: skip


def history(fleet: Fleet, rng: random.Random, days: int, share: float, end: float,
            names: tuple[str, ...] = NAMES) -> list[tuple[str, float, str]]:  # fmt: skip
    """About 40 sessions a day per terminal, ending before `end`, this share failed."""
    return [(name, end - rng.uniform(0, days * DAY),
             "failed" if rng.random() < share else "finished")
            for name in names for _ in range(40 * days)]  # fmt: skip


@pytest.mark.parametrize("fleet", ["sqlite", "postgresql"], indirect=True)
def test_a_failure_spike_raises_one_warning_and_a_normal_day_none(fleet: Fleet) -> None:
    rng = random.Random(11)
    now = fleet.clock()
    put_sessions(fleet, history(fleet, rng, 30, 0.03, now - DAY))  # the norm
    put_sessions(fleet, history(fleet, rng, 1, 0.03, now))  # a normal day
    viewer = fleet.backend.console("vera", role="viewer")
    assert warnings_now(fleet, viewer) == []
    spiked = NAMES[2]
    put_sessions(fleet, [(spiked, fleet.clock() - rng.uniform(0, 3 * HOUR), "failed")
                    for _ in range(8)])  # fmt: skip
    (warning,) = warnings_now(fleet, viewer)
    assert (warning["kind"], warning["terminal"], warning["where"], warning["state"]) == (
        "failure_rate", fleet.ids[spiked], spiked, "raised")  # fmt: skip
    assert warning["value"] > warning["threshold"] and "failed in 24 h" in warning["detail"]
    assert [w["id"] for w in warnings_now(fleet, viewer)] == [warning["id"]]  # no second one
    with Session(fleet.backend.app.state.engine) as db:
        assert len(db.scalars(select(EarlyWarning)).all()) == 1

    fleet.clock.advance(DAY)  # the spike leaves the window; a normal day follows
    put_sessions(fleet, history(fleet, rng, 1, 0.03, fleet.clock()))
    viewer = fleet.backend.console("vera", role="viewer")  # the session was idle too long
    (cleared,) = warnings_now(fleet, viewer)
    assert (cleared["id"], cleared["state"], cleared["resolution"]) == (
        warning["id"], "resolved", "cleared")  # fmt: skip
    assert cleared["resolved_at"] == fleet.clock() and cleared["resolved_by"] is None
    assert warnings_now(fleet, viewer, state="open") == []


def test_the_lifecycle_by_role(fleet: Fleet) -> None:
    rng = random.Random(3)
    now = fleet.clock()
    put_sessions(fleet, history(fleet, rng, 30, 0.02, now - DAY, names=NAMES[:1]))
    put_sessions(fleet, [(NAMES[0], now - rng.uniform(0, HOUR), "failed") for _ in range(12)])
    viewer = fleet.backend.console("vera", role="viewer")
    otto = fleet.backend.console("otto", role="operator")
    (warning,) = warnings_now(fleet, viewer)
    where = f"/console/api/warnings/{warning['id']}"

    answer = fleet.post(viewer, f"{where}/acknowledge")
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert fleet.post(viewer, f"{where}/resolve").status_code == 403
    missing = fleet.post(otto, "/console/api/warnings/9999/acknowledge")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    fleet.clock.advance(60)
    acked = fleet.post(otto, f"{where}/acknowledge").json()
    assert (acked["state"], acked["acknowledged_by"], acked["acknowledged_at"]) == (
        "acknowledged", "otto", fleet.clock())  # fmt: skip
    again = fleet.post(otto, f"{where}/acknowledge")
    assert again.status_code == 409 and again.json()["code"] == "wrong_state"
    assert "is acknowledged" in again.json()["detail"]
    (still,) = warnings_now(fleet, viewer)  # the condition holds: the same warning, acknowledged
    assert (still["id"], still["state"]) == (warning["id"], "acknowledged")

    fleet.clock.advance(60)
    resolved = fleet.post(otto, f"{where}/resolve").json()
    assert (resolved["state"], resolved["resolved_by"], resolved["resolution"]) == (
        "resolved", "otto", "operator")  # fmt: skip
    assert resolved["resolved_at"] == fleet.clock()
    assert fleet.post(otto, f"{where}/resolve").status_code == 409
    assert fleet.post(otto, f"{where}/acknowledge").status_code == 409
    # the condition still holds, but an operator resolved it: it rests a while
    assert [w["id"] for w in warnings_now(fleet, viewer)] == [warning["id"]]
    fleet.clock.advance(REARM_S)
    put_sessions(fleet, [(NAMES[0], fleet.clock() - rng.uniform(0, HOUR), "failed")
                    for _ in range(12)])  # fmt: skip
    viewer = fleet.backend.console("vera", role="viewer")  # the session was idle too long
    raised_again = warnings_now(fleet, viewer, state="open")
    assert len(raised_again) == 1 and raised_again[0]["id"] != warning["id"]

    listed = fleet.get(viewer, "/console/api/warnings")
    assert listed["open"] == 1
    table = parsed(fleet.get(viewer, "/console/api/warnings", format="csv"))
    assert table == [cells(w) for w in listed["warnings"]]
    chief = fleet.backend.console()
    entries = fleet.get(chief, "/console/api/audit")["entries"]
    done = [(e["actor_kind"], e["actor"], e["action"]) for e in entries
            if e["action"].startswith("warning")]  # fmt: skip
    assert done == [("system", "warnings", "warning_raised"),
                    ("operator", "otto", "warning_resolve"),
                    ("operator", "otto", "warning_acknowledge"),
                    ("system", "warnings", "warning_raised")]  # fmt: skip


def test_the_command_evaluates_once_for_a_timer(tmp_path: Path, capsys: Any) -> None:
    parser = argparse.ArgumentParser()
    forecast.WarningsCommand().register(parser.add_subparsers())
    url = f"sqlite:///{tmp_path / 'backend.db'}"
    args = parser.parse_args(["warnings", "evaluate", "--db", url, "--data", str(tmp_path)])
    assert args.handler(args) == 0
    assert capsys.readouterr().out.strip() == "warnings: 0 raised, 0 cleared, 0 still open"
    bad = parser.parse_args(["warnings", "evaluate", "--db", url, "--weeks", "0"])
    assert bad.handler(bad) == 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_0013_comes_off_and_back_and_heartbeats_go_on(backend: Backend) -> None:
    beat = {"terminal_time": backend.clock(), "software_version": "t", "outbox": {"depth": 0},
            "consumables": {"paper": 80}}  # fmt: skip
    terminal = backend.enrol()
    assert terminal.call("POST", "/v1/heartbeat", beat).status_code == 200
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = backend.app.state.engine
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    assert {"warnings", "consumable_samples"}.isdisjoint(inspect(engine).get_table_names())
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    backend.clock.advance(60)
    beat["terminal_time"] = backend.clock()
    assert terminal.call("POST", "/v1/heartbeat", beat).status_code == 200
    with Session(engine) as db:  # the first beat after: sampled (nothing was sampled before)
        assert [s.levels for s in db.scalars(select(ConsumableSample))] == [{"paper": 80}]


# -- the systemd timer (packaging/deb, kiosk-backend) -------------------------------

PACKAGE = Path(__file__).resolve().parents[2] / "packaging" / "deb"
UNITS = PACKAGE / "kiosk-backend" / "lib" / "systemd" / "system"


def unit_settings(path: Path) -> dict[str, list[str]]:
    """A unit file's settings as `Section.Key`: every value (a key may repeat)."""
    found: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return found


def as_systemd_runs(words: list[str], environment: dict[str, str]) -> list[str]:
    """ExecStart's words with the environment put in as systemd does: `${NAME}` inside
    a word, `$NAME` as a word of its own split at whitespace (none when empty)."""
    found: list[str] = []
    for word in words:
        if word.startswith("$") and not word.startswith("${"):
            found.extend(environment.get(word[1:], "").split())
            continue
        for name, value in environment.items():
            word = word.replace("${" + name + "}", value)
        found.append(word)
    return found


def test_the_timer_runs_the_evaluation_every_five_minutes(tmp_path: Path, capsys: Any) -> None:
    from backend.cli import main

    service = unit_settings(UNITS / "kiosk-backend-warnings.service")
    timer = unit_settings(UNITS / "kiosk-backend-warnings.timer")
    assert timer["Timer.OnCalendar"] == ["*:0/5"]
    assert set(timer["Install.WantedBy"][0].split()) == {"timers.target", "kiosk-backend.service"}
    assert service["Service.Type"] == ["oneshot"]
    assert service["Service.User"] == ["kiosk-backend"]
    # the package enables it (maintscripts' @ENABLED@, filled by build.sh)
    built = (PACKAGE / "build.sh").read_text(encoding="utf-8")
    assert 'enabled="kiosk-backend.service kiosk-backend-warnings.timer"' in built

    # its command, with its environment file's settings, is `warnings evaluate`: run it
    (exec_start,) = service["Service.ExecStart"]
    words = shlex.split(exec_start)
    assert words[:3] == ["/opt/kiosk-backend/bin/kiosk-backend", "warnings", "evaluate"]
    (env_file,) = service["Service.EnvironmentFile"]
    packaged = PACKAGE / "kiosk-backend" / env_file.lstrip("/")
    defined = dict(line.split("=", 1) for line in packaged.read_text(encoding="utf-8").splitlines()
                   if line and not line.startswith("#"))  # fmt: skip
    used = {w.strip("${}") for w in words if "$" in w}
    assert used and used <= set(defined), used - set(defined)
    environment = {**defined, "KIOSK_BACKEND_DB": f"sqlite:///{tmp_path / 'backend.db'}",
                   "KIOSK_BACKEND_WARNINGS_OPTIONS": "--weeks 3"}  # fmt: skip
    argv = as_systemd_runs(words[1:], environment)
    assert argv[argv.index("--data") + 1] == "/var/lib/kiosk-backend"
    argv[argv.index("--data") + 1] = str(tmp_path)  # this machine has no such folder
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == "warnings: 0 raised, 0 cleared, 0 still open"

    # systemd itself reads both (the command must exist: a stand-in at another path)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("SERVICE UNAVAILABLE: systemd-analyze (systemd) is not installed")
    stand_in = tmp_path / "kiosk-backend"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for name in ("kiosk-backend-warnings.service", "kiosk-backend-warnings.timer"):
        text = (UNITS / name).read_text(encoding="utf-8")
        (units / name).write_text(text.replace(words[0], str(stand_in)), encoding="utf-8")
    verified = subprocess.run(
        [analyze, "verify", "--man=no", "kiosk-backend-warnings.service",
         "kiosk-backend-warnings.timer"],
        cwd=units, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (verified.returncode, verified.stderr + verified.stdout) == (0, "")
