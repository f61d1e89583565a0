"""The data cockpit's daily roll-ups (backend/rollups.py): after a mixed ingest (batches,
a batch sent again, an older terminal's ends without steps) they are what counting
every stored session once makes; migration 0012's backfill makes them the same; a
window that cuts days in two counts exactly the sessions in it; and a percentile read
from a histogram is within the bound docs/cockpit.md states. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, select

from backend import rollups
from backend.db import MIGRATIONS, ServiceSession, SessionDay, Terminal
from backend.tables import site_of
from tests.backend.test_cockpit import expected_funnel, got_funnel, live, send
from tests.services.backend import LiveBackend

__all__ = ["live"]  # the fixture, on SQLite and PostgreSQL


def stored(engine: Engine, table: Any = SessionDay) -> Counter[tuple[Any, ...]]:
    with engine.connect() as db:
        rows = db.execute(select(table.__table__)).all()
    return Counter({tuple(row[:-1]): row[-1] for row in rows})


def by_week(days: Counter[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    """The days' roll-ups summed by the Monday of each day's week (datetime's weekday),
    keyed as weeks since Monday 1970-01-05 (day 4), which is week 1."""
    weeks: Counter[tuple[Any, ...]] = Counter()
    for (site, day, *rest), n in days.items():
        monday = day - (date(1970, 1, 1) + timedelta(days=day)).weekday()
        weeks[(site, (monday - 4) // 7 + 1, *rest)] += n
    return weeks


def recounted(engine: Engine) -> Counter[tuple[Any, ...]]:
    """Every stored session counted once, from `service_sessions`."""
    totals: rollups.Totals = Counter()
    with engine.connect() as db:
        names = {t: n for t, n in db.execute(select(Terminal.id, Terminal.name))}
        for found in db.execute(select(ServiceSession.__table__)).mappings():
            rollups.count_in(totals, site_of(names[found["terminal_id"]]), found)
    return Counter(totals)


def test_rollups_are_the_sessions_counted_once_and_the_backfill_makes_them_again(
    live: LiveBackend, tmp_path
):
    sent = send(live, tmp_path)  # with a batch sent again and older terminals' ends
    engine = live.app.state.engine
    ingested = stored(engine)
    assert ingested == recounted(engine)
    weeks = stored(engine, rollups.SessionWeek)
    assert weeks == by_week(ingested) and len(weeks) < len(ingested)
    fleet = sum(n for (site, _, _, m, _, _), n in ingested.items() if site == "" and m == "n")
    assert fleet == len(sent)  # each session once, the resent ones too
    sites = {site for (site, *_), n in ingested.items()}
    assert sites == {"", "北京 海淀", "北京 朝阳"}

    migrate(engine, "downgrade", "0011")
    assert "session_days" not in inspect(engine).get_table_names()
    migrate(engine, "upgrade", "head")  # the backfill
    assert stored(engine) == ingested
    assert stored(engine, rollups.SessionWeek) == weeks
    migrate(engine, "downgrade", "0015")
    assert "session_weeks" not in inspect(engine).get_table_names()
    migrate(engine, "upgrade", "head")  # 0016's backfill of the weeks, from the days
    assert stored(engine, rollups.SessionWeek) == weeks


def migrate(engine: Engine, direction: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def china_day(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(at + 8 * 3600))


def test_a_window_that_cuts_days_counts_exactly_the_sessions_in_it(live: LiveBackend, tmp_path):
    sent = send(live, tmp_path)
    viewer = live.console("watcher", role="viewer")
    rng = random.Random(6)
    now = time.time()
    windows = [(now - 4.3 * 86400, now - 0.7 * 86400), (now - 2.5 * 86400, now),
               (now - 6 * 86400, now - 1.1 * 86400)]  # fmt: skip
    windows += [(now - rng.uniform(1.5, 5) * 86400, now - rng.uniform(0, 1) * 86400)
                for _ in range(3)]  # fmt: skip
    # whole weeks from the weeks' roll-ups, the loose days around them from the days'
    windows += [(now - 18.2 * 86400, now - 0.4 * 86400), (now - 21 * 86400, now - 9.9 * 86400)]
    for since, until in windows:
        answer = viewer.get(f"{live.url}/console/api/funnel", timeout=30,
                            params={"since": since, "until": until, "by": "site"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        got = {(g["group"], g["service"]): got_funnel(g) for g in answer.json()["groups"]}
        mine = [s for s in sent if since <= s["at"] < until]
        want = {}
        for key in {(s["site"], s["flow"]) for s in mine}:
            want[key] = expected_funnel([s for s in mine if (s["site"], s["flow"]) == key])
        assert got == want, (since, until)
        one = viewer.get(f"{live.url}/console/api/funnel", timeout=30,
                         params={"since": since, "until": until, "site": "北京 海淀",
                                 "service": "id_renewal", "by": "day"}).json()  # fmt: skip
        for group in one["groups"]:
            day = [s for s in mine if s["site"] == "北京 海淀" and s["flow"] == "id_renewal"
                   and china_day(s["at"]) == group["group"]]  # fmt: skip
            assert got_funnel(group) == expected_funnel(day)
        assert sum(g["sessions"] for g in one["groups"]) == len(
            [s for s in mine if s["site"] == "北京 海淀" and s["flow"] == "id_renewal"]
        )


@pytest.mark.parametrize("seed", range(20))
def test_a_percentile_from_a_histogram_is_within_the_stated_bound(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.round(
        rng.lognormal(rng.uniform(-2, 6), rng.uniform(0.1, 2), rng.integers(1, 400)), 1
    )
    histogram = Counter(rollups.bucket(float(v)) for v in values)
    for q in (50, 90, 0, 100):
        exact = float(np.percentile(values, q))
        got = rollups.percentile(histogram, q)
        assert got is not None
        assert abs(got - exact) <= rollups.ERROR_REL * exact + rollups.ERROR_ABS + 0.005


def test_days_are_china_time() -> None:
    at = 1718000000.0  # 2024-06-10 14:13:20 UTC: 22:13 in Beijing
    assert rollups.day_start(rollups.day_of(at)) == 1717948800.0  # 06-10 00:00 CST
    assert rollups.day_of(1717948800.0) == rollups.day_of(1717948800.0 + 86399.9)
    assert rollups.day_of(1717948800.0 - 0.1) == rollups.day_of(at) - 1
