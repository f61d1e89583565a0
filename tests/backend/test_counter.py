"""Counter applications and the self-service share (backend/counter.py): the counter
system's CSV imported whole or not at all, every bad row named with its line (the
command line and the console's API, by role); and the share per service and site
from sessions' ends that terminals sent as signed records, checked against this
test's own count (numpy) over windows with whole weeks and loose days, on SQLite and
PostgreSQL; the CSV says what the JSON says."""

from __future__ import annotations

import json
import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import rollups
from backend.cli import main
from backend.counter import CounterApplication
from tests.backend.conftest import cells
from tests.backend.harness import START, Backend, record
from tests.backend.test_cockpit import one_terminal_sends
from tests.backend.test_console_browser import sign_in
from tests.backend.test_followups_browser import press
from tests.services import chromium
from tests.services.backend import LiveBackend
from wire.sync import SessionReport, StepReached, session_ended

NAMES = ("北京 海淀 1号机", "北京 海淀 2号机", "上海 浦东 1号机")
SITES = ("北京 海淀", "上海 浦东")
SERVICES = ("id_renewal", "criminal_record_proof", "queue_ticket")
ENDS = ("finished", "finished", "finished", "cancelled", "timed_out", "failed", "refused")
DAYS = 24  # of history, before the harness's clock
TODAY = rollups.day_of(START)
CSV_TYPE = {"content-type": "text/csv; charset=utf-8"}


def day_text(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def table(rows: list[tuple[Any, ...]]) -> bytes:
    lines = ["date,site,service,count", *(",".join(str(v) for v in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def fleet(backend: Backend) -> dict[str, Any]:
    return {name: backend.enrol(name) for name in NAMES}


# -- importing ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_command_imports_a_table_whole_or_names_every_bad_row(
    backend: Backend, tmp_path: Path, capsys: Any
) -> None:
    fleet(backend)
    yesterday = day_text(TODAY - 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("\r\n".join([
        "Date, site ,SERVICE,count",  # the header's names in any case, spaced
        f"{yesterday},北京 海淀,id_renewal,12",  # line 2: good
        "2026-11-31,北京 海淀,id_renewal,3",  # 3: no such day
        f"{yesterday},北京 朝阳,id_renewal,3",  # 4: no terminal there
        f"{yesterday},上海 浦东,passport,3",  # 5: not a service of the terminals
        f"{yesterday},上海 浦东,id_renewal,-1",  # 6: not a count
        f"{yesterday},北京  海淀,id_renewal,4",  # 7: line 2's again (spaces folded)
        f"{yesterday},北京 海淀",  # 8: two fields
        "",  # a blank line: skipped
        f'"{yesterday}","上海 浦东","queue_ticket","1e3"',  # 10: not a whole number
        f"{day_text(rollups.day_of(time.time()) + 1)},上海 浦东,queue_ticket,1",  # 11: tomorrow
        "18/11/2026,,queue_ticket,1.5",  # 12: three things wrong, one line
    ]) + "\r\n", encoding="utf-8")  # fmt: skip
    url = backend.url
    assert main(["counter", "import", str(bad), "--db", url, "--data", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    prefix = f"kiosk-backend: counter import: {bad} line "
    assert [line.removeprefix(prefix).split(":")[0] for line in lines[:-1]] == [
        "3", "4", "5", "6", "7", "8", "10", "11", "12"]  # fmt: skip
    assert all(line.startswith(prefix) for line in lines[:-1])
    assert "2026-11-31" in lines[0] and "北京 朝阳" in lines[1] and "passport" in lines[2]
    assert "same date, site and service as line 2" in lines[4]
    assert "2 fields; the header has 4" in lines[5]
    assert lines[8].count(";") == 2  # date, site, count: one line for the row
    assert lines[-1] == "kiosk-backend: counter import: nothing imported (9 bad row(s))"
    with Session(backend.app.state.engine) as db:  # not even line 2
        assert db.scalar(select(func.count()).select_from(CounterApplication)) == 0

    good = tmp_path / "good.csv"
    good.write_bytes(b"\xef\xbb\xbf" + table([  # a spreadsheet's byte-order mark
        (yesterday, "北京 海淀", "id_renewal", 12), (yesterday, "上海 浦东", "id_renewal", 0),
        (day_text(TODAY - 9), "北京 海淀", "queue_ticket", 30)]))  # fmt: skip
    assert main(["counter", "import", str(good), "--db", url, "--data", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"counter applications: 3 rows ({day_text(TODAY - 9)} to {yesterday}), 3 new, 0 replaced"
    )
    again = tmp_path / "again.csv"
    again.write_bytes(table([(yesterday, "北京 海淀", "id_renewal", 15),
                             (yesterday, "北京 海淀", "queue_ticket", 2)]))  # fmt: skip
    assert main(["counter", "import", str(again), "--db", url, "--data", str(tmp_path)]) == 0
    assert "1 new, 1 replaced" in capsys.readouterr().out
    with Session(backend.app.state.engine) as db:
        stored = {(r.day, r.site, r.service): r.count for r in db.scalars(
            select(CounterApplication))}  # fmt: skip
    assert stored == {(TODAY - 1, "北京 海淀", "id_renewal"): 15,
                      (TODAY - 1, "上海 浦东", "id_renewal"): 0,
                      (TODAY - 9, "北京 海淀", "queue_ticket"): 30,
                      (TODAY - 1, "北京 海淀", "queue_ticket"): 2}  # fmt: skip

    for content, why in ((b"date,site,service,count\r\n" + "北京 海淀".encode("gbk"), "UTF-8"),
                         (b"day,site,service,count\r\n", "header must name"),
                         (b"date,site,service,count\r\n", "no rows"),
                         (b'date,site,service,count\r\n"2026-11-17,x\r\n', "not CSV")):  # fmt: skip
        bad.write_bytes(content)
        assert main(["counter", "import", str(bad), "--db", url, "--data", str(tmp_path)]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 2 and why in err[0], err
    missing = str(tmp_path / "none.csv")
    assert main(["counter", "import", missing, "--db", url, "--data", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err
    entries = backend.operator("GET", "/console/api/audit").json()["entries"]
    imports = [(e["actor_kind"], e["action"], e["detail"]) for e in entries
               if e["action"] == "counter_import"]  # fmt: skip
    assert [i[:2] for i in imports] == [("cli", "counter_import")] * 2
    assert imports[0][2] == f"2 rows, {yesterday}..{yesterday}, 1 replaced"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_console_imports_for_an_administrator_only(backend: Backend) -> None:
    fleet(backend)
    path, yesterday = "/console/api/counter", day_text(TODAY - 1)
    rows = [(yesterday, "北京 海淀", "id_renewal", 7)]
    operator = backend.signed_in("otto", "a password for otto", role="operator")
    for client in (backend.http, operator):  # 403 before anything is said about the body
        for body in (table(rows), b"{not json", b"date\r\n"):
            answer = client.post(path, content=body, headers=CSV_TYPE)
            assert answer.status_code == 403, answer.text
    admin = backend.console
    done = admin.post(path, content=table(rows), headers=CSV_TYPE)
    assert done.status_code == 200, done.text
    assert done.json() == {"rows": 1, "new": 1, "replaced": 0, "first_day": yesterday,
                           "last_day": yesterday}  # fmt: skip
    as_json = {"rows": [{"date": yesterday, "site": "北京 海淀", "service": "id_renewal",
                         "count": 9},
                        {"date": yesterday, "site": "上海 浦东", "service": "queue_ticket",
                         "count": 1}]}  # fmt: skip
    done = admin.post(path, json=as_json)
    assert done.status_code == 200 and (done.json()["new"], done.json()["replaced"]) == (1, 1)

    bad = admin.post(path, content=table([*rows, ("2026-13-01", "北京 海淀", "id_renewal", 1),
                                          (yesterday, "北京 海淀", "nothing", 1)]),
                     headers=CSV_TYPE)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["code"] == "bad_rows"
    said = bad.json()["detail"].removeprefix("nothing imported: ").split("; ")
    assert [e.split(":")[0] for e in said] == ["line 3", "line 4"]
    many = admin.post(path, content=table([(yesterday, "北京 海淀", f"no_{i}", 1)
                                           for i in range(60)]), headers=CSV_TYPE)  # fmt: skip
    assert many.json()["detail"].count("line ") == 50 and many.json()["detail"].endswith(
        "(and 10 more)")  # fmt: skip
    as_json["rows"][1]["count"] = "1"  # type: ignore[index]  # a string is no count
    wrong = admin.post(path, json=as_json)
    assert wrong.status_code == 422
    assert wrong.json()["detail"].startswith("nothing imported: rows.1.count")
    as_json["rows"][1].update(count=-3)  # type: ignore[union-attr]
    wrong = admin.post(path, json=as_json)
    assert wrong.json()["detail"] == (
        "nothing imported: row 2: count '-3' is not a whole number from 0 to 100000"
    )
    other = admin.post(path, content=b"<rows/>", headers={"content-type": "application/xml"})
    assert other.status_code == 422 and other.json()["code"] == "unsupported_type"
    with Session(backend.app.state.engine) as db:
        counts = sorted(db.scalars(select(CounterApplication.count)))
    assert counts == [1, 9]  # the refused uploads changed nothing
    entries = backend.operator("GET", "/console/api/audit").json()["entries"]
    assert [(e["actor"], e["action"]) for e in entries if e["action"] == "counter_import"] == [
        ("chief", "counter_import")] * 2  # fmt: skip


# -- the share -------------------------------------------------------------------------


def history(backend: Backend, rng: random.Random) -> list[dict[str, Any]]:
    """Sessions' ends over DAYS days, sent by three terminals as signed records; what
    each was (its site, service, China day, end)."""
    terminals = fleet(backend)
    sent = []
    for n, name in enumerate(NAMES):
        records = []
        for i in range(rng.randint(150, 250)):
            service, end = rng.choice(SERVICES), rng.choice(ENDS)
            at = START - rng.uniform(0, DAYS * 86400)
            steps = [StepReached(step="start", kind="choose", s=3.0, who="citizen")]
            report = SessionReport(end=end, reason="done" if end == "finished" else end,  # type: ignore[arg-type]
                                   exit_step=None if end == "finished" else "start",
                                   duration_s=3.0, steps=steps)  # fmt: skip
            body = session_ended(service, "done" if end == "finished" else end, at, report)
            records.append(record(f"audit-{n}-{i}", kind="audit", session=f"s-{n}-{i}", **body))
            sent.append({"site": name.rsplit(" ", 1)[0], "service": service,
                         "day": rollups.day_of(at), "finished": end == "finished"})  # fmt: skip
        for at in range(0, len(records), 100):
            answer = terminals[name].records(*records[at : at + 100])
            assert answer.status_code == 200 and answer.json()["refused"] == [], answer.text
    return sent


def expected(sent: list[dict[str, Any]], counter: list[tuple[int, str, str, int]], first: int,
             last: int, by: str) -> dict[tuple[str, str], tuple[int, int]]:  # fmt: skip
    """finished and counter per group, counted with numpy over index arrays."""
    span = last - first + 1
    done = np.zeros((len(SITES), len(SERVICES), span), dtype=np.int64)
    at_counter = np.zeros_like(done)
    reported = np.zeros_like(done)  # a counter's row, if only of 0: the group is shown
    for s in sent:
        if first <= s["day"] <= last and s["finished"]:
            done[SITES.index(s["site"]), SERVICES.index(s["service"]), s["day"] - first] += 1
    for day, site, service, n in counter:
        if first <= day <= last:
            at_counter[SITES.index(site), SERVICES.index(service), day - first] += n
            reported[SITES.index(site), SERVICES.index(service), day - first] = 1
    axis = {"service": (0, 2), "site": (1, 2), "site_service": (2,)}[by]
    finished, taken = done.sum(axis=axis), at_counter.sum(axis=axis)
    shown = reported.sum(axis=axis)
    found = {}
    for index in np.ndindex(finished.shape):
        if by == "service":
            key = ("*", SERVICES[index[0]])
        elif by == "site":
            key = (SITES[index[0]], "*")
        else:
            key = (SITES[index[0]], SERVICES[index[1]])
        if finished[index] or shown[index]:
            found[key] = (int(finished[index]), int(taken[index]))
    return found


def test_the_share_is_finished_over_finished_and_counter(backend: Backend) -> None:
    rng = random.Random(24)
    sent = history(backend, rng)
    counter = [(day, site, service, rng.randint(0, 30)) for day in range(TODAY - DAYS, TODAY + 1)
               for site in SITES for service in SERVICES if rng.random() < 0.8]  # fmt: skip
    for at in range(0, len(counter), 100):  # a few days' exports at a time
        part = [(day_text(d), site, service, n) for d, site, service, n in counter[at : at + 100]]
        done = backend.console.post("/console/api/counter", content=table(part), headers=CSV_TYPE)
        assert done.status_code == 200, done.text
    assert sum(s["finished"] for s in sent) > 200
    viewer = backend.signed_in("vera", "a password for vera", role="viewer")
    midnight = rollups.day_start(TODAY)
    windows = [  # (since, until): whole weeks and loose days; a day; one day's part
        (None, None), (midnight - 17 * 86400 + 3600, midnight - 2 * 86400),
        (midnight - 3 * 86400, midnight - 3 * 86400 + 60), (midnight - 9.5 * 86400, START),
    ]  # fmt: skip
    for since, until in windows:
        first = rollups.day_of(since if since is not None else START - 30 * 86400)
        last = rollups.day_of(until - 1) if until is not None else TODAY
        for by in ("service", "site", "site_service"):
            params = {k: v for k, v in (("since", since), ("until", until), ("by", by))
                      if v is not None}  # fmt: skip
            got = viewer.get("/console/api/share", params=params)
            assert got.status_code == 200, got.text
            answer = got.json()
            assert (answer["first_day"], answer["last_day"]) == (day_text(first), day_text(last))
            want = expected(sent, counter, first, last, by)
            groups = {(g["site"], g["service"]): (g["finished"], g["counter"])
                      for g in answer["groups"]}  # fmt: skip
            assert groups == want, (since, until, by)
            for g in answer["groups"]:
                both = g["finished"] + g["counter"]
                assert g["share"] == (pytest.approx(g["finished"] / both, abs=5e-5) if both
                                      else None)  # fmt: skip
            total = answer["total"]
            assert (total["finished"], total["counter"]) == (
                sum(v[0] for v in want.values()), sum(v[1] for v in want.values()))  # fmt: skip
            table_csv = viewer.get("/console/api/share", params={**params, "format": "csv"})
            rows = table_csv.content.decode("utf-8-sig").splitlines()
            assert rows[0] == "site,service,finished,counter,share"
            assert rows[1:] == [",".join(cells(g).values())
                                for g in [*answer["groups"], total]]  # fmt: skip
    one = viewer.get("/console/api/share", params={"by": "site_service", "site": "上海 浦东",
                                                   "service": "queue_ticket"}).json()  # fmt: skip
    want = expected(sent, counter, TODAY - 30, TODAY, "site_service")[("上海 浦东", "queue_ticket")]
    assert [(g["finished"], g["counter"]) for g in one["groups"]] == [want]
    assert viewer.post("/console/api/counter", content=table([]), headers=CSV_TYPE
                       ).status_code == 403  # fmt: skip
    assert json.loads(viewer.get("/console/api/share", params={"since": 5, "until": 1}).text)[
        "code"] == "bad_window"  # fmt: skip


# -- on the console (headless Chromium) ---------------------------------------------------


def test_an_administrator_imports_the_counter_table_on_the_console(tmp_path: Path) -> None:
    reason = chromium.missing()
    if reason:
        pytest.skip(f"SERVICE UNAVAILABLE: Chromium: {reason}")
    backend = LiveBackend(tmp_path / "backend", time.time)  # the browser's cookie: real time
    backend.start()
    try:
        sent = one_terminal_sends(backend, tmp_path, 60, seed=3)
        backend.console().close()  # the administrator's account
        today = day_text(rollups.day_of(time.time()))
        bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
        bad.write_bytes(table([(today, "北京 海淀", "id_renewal", 40),
                               (today, "北京 西城", "id_renewal", 5)]))  # fmt: skip
        good.write_bytes(table([(today, "北京 海淀", "id_renewal", 40)]))
        with chromium.live_page(f"{backend.url}/console", size="1280,1400") as page:
            sign_in(page, "chief", "a password for chief")
            page.wait_for("Number(document.body.dataset.cockpit || 0) >= 1")
            prompt = page.evaluate("document.querySelector('article[data-service=id_renewal] "
                                   "tr[data-step=reason]').children[1].textContent")  # fmt: skip
            assert prompt == "请选择办理原因"  # the citizen's text of the step
            for upload, said in ((bad, "未导入 / nothing imported: line 3:"), (good, "已导入")):
                chosen = page.send(
                    "DOM.querySelector",
                    selector="#counter-file",
                    nodeId=page.send("DOM.getDocument")["root"]["nodeId"],
                )
                page.send("DOM.setFileInputFiles", files=[str(upload)], nodeId=chosen["nodeId"])
                press(page, "#counter-import button[type=submit]")
                page.wait_for(f"document.getElementById('counter-done').textContent"
                              f".startsWith({json.dumps(said)})")  # fmt: skip
            page.wait_for("document.querySelector('#share-table tr[data-service=id_renewal] "
                          "td:nth-child(4)')?.textContent === '40'")  # fmt: skip
            page.evaluate("document.getElementById('share-table').scrollIntoView()")
            page.screenshot(tmp_path / "console-share.png")
            row = page.evaluate("[...document.querySelector('#share-table tr[data-service="
                                "id_renewal]').children].map((c) => c.textContent)")  # fmt: skip
    finally:
        backend.stop()
        backend.app.state.engine.dispose()
    finished = sum(1 for b in sent if b["flow"] == "id_renewal" and b["end"] == "finished")
    assert finished and row == [
        "全部 / all",
        "身份证换领/补领 / ID card renewal or replacement",
        str(finished),
        "40",
        f"{round(finished / (finished + 40) * 100)}%",
    ]
