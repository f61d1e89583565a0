"""Counter applications (窗口受理) and the self-service share (自助办理占比), #24.

The bureau's counter system reports how many applications its counters took, per day
(UTC+8), site and service: counts only, no personal data. They are imported as a
table (CSV `date,site,service,count`, or the same rows as JSON) by an administrator
(`POST /console/api/counter`) or on the backend's machine (`kiosk-backend counter
import FILE`, backend/counter_cli.py). Validation is strict: every bad row is named
with its line and why, and a file with one bad row imports nothing. A row for a day,
site and service already imported replaces it (the counter system's corrected export).

`GET /console/api/share`: per service, per site, or both, the sessions the terminals
finished (the roll-ups' `finished` ends, backend/rollups.py) and the counter
applications over the same whole days, and the self-service share finished /
(finished + counter)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from sqlalchemy import Float, Integer, String, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend import rollups
from backend.audit import audit
from backend.cockpit import texts
from backend.db import Base
from backend.limits import source
from backend.operators import SignedIn, signed_in
from backend.problems import Refused, responses
from backend.tables import CSV, models_csv, terminal_sites
from wire.sync import SITE

router = APIRouter(tags=["console"])
Viewer = Annotated[SignedIn, Depends(signed_in("viewer"))]
Administrator = Annotated[SignedIn, Depends(signed_in("administrator"))]

COLUMNS = ("date", "site", "service", "count")
MAX_COUNT = 100_000  # applications at one site's counters for one service in a day
MAX_ROWS = 100_000
FIRST_DAY = date(2000, 1, 1)
EPOCH = date(1970, 1, 1)
DEFAULT_WINDOW_S = 30 * 86_400
SHOWN = 50  # bad rows named in a refusal's detail
WHEN = 1e11  # a bound on the times a query takes: a finite number
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNT = re.compile(r"^\d{1,9}$")


class CounterApplication(Base):
    """Applications the bureau's counters took, per day (UTC+8), site and service
    (imported, migration 0016): counts only."""

    __tablename__ = "counter_applications"
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # rollups.day_of
    site: Mapped[str] = mapped_column(String(80), primary_key=True)
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[float] = mapped_column(Float)
    imported_by: Mapped[str] = mapped_column(String(80))


@dataclass(frozen=True)
class CounterRow:
    day: int
    site: str
    service: str
    count: int


class BadRows(ValueError):
    """What cannot be imported: one line per bad row (`line N: why`), nothing imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} bad row(s): {problems[0]}")
        self.problems = problems


def iso(day: int) -> str:
    return (EPOCH + timedelta(days=day)).isoformat()


# -- reading and checking -------------------------------------------------------------


def csv_rows(data: bytes) -> Iterator[tuple[str, dict[str, str]]]:
    """A CSV table's rows as (where, fields): `line N` and the header's four columns
    (in any order). Raises BadRows for what is wrong with the file as a whole."""
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's byte-order mark, or none
    except UnicodeDecodeError as exc:
        raise BadRows([f"the file is not UTF-8 text (byte {exc.start})"]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    try:
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue  # a blank line
            if header is None:
                header = [f.strip().lower() for f in fields]
                if sorted(header) != sorted(COLUMNS):
                    raise BadRows([f"line {reader.line_num}: the header must name the columns "
                                   f"{', '.join(COLUMNS)} (in any order), not "
                                   f"{', '.join(header)[:120]}"])  # fmt: skip
                continue
            where = f"line {reader.line_num}"
            if len(fields) != len(header):
                yield where, {"": f"{len(fields)} fields; the header has {len(header)}"}
                continue
            yield where, dict(zip(header, fields, strict=True))
    except csv.Error as exc:
        raise BadRows([f"line {reader.line_num}: not CSV: {exc}"]) from None


class _JsonRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: str = Field(max_length=10)
    site: str = Field(max_length=200)
    service: str = Field(max_length=100)
    count: StrictInt


class CounterUpload(BaseModel):
    """The JSON form of the table: `{"rows": [{"date", "site", "service", "count"}]}`."""

    model_config = ConfigDict(extra="forbid")
    rows: list[_JsonRow] = Field(max_length=MAX_ROWS)


def json_rows(data: bytes) -> Iterator[tuple[str, dict[str, str]]]:
    """The JSON form's rows as (where, fields): `row N` (from 1)."""
    try:
        upload = CounterUpload.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise BadRows([f"{where or 'body'}: {first.get('msg', 'invalid')}"]) from None
    for n, row in enumerate(upload.rows, 1):
        yield f"row {n}", {"date": row.date, "site": row.site, "service": row.service,
                           "count": str(row.count)}  # fmt: skip


def checked(rows: Iterable[tuple[str, Mapping[str, str]]], sites: set[str],
            services: set[str], today: int) -> list[CounterRow]:  # fmt: skip
    """Every row checked; BadRows naming each bad one (where: why; why; ...) when any
    is, else the rows."""
    found: list[CounterRow] = []
    problems: list[str] = []
    first_seen: dict[tuple[int, str, str], str] = {}
    for where, fields in rows:
        if len(found) + len(problems) >= MAX_ROWS:
            problems.append(f"{where}: more than {MAX_ROWS} rows: import them in parts")
            break
        if "" in fields:  # a row the reader could not split into the columns
            problems.append(f"{where}: {fields['']}")
            continue
        why, row = _check(fields, sites, services, today)
        if row is not None:
            key = (row.day, row.site, row.service)
            if key in first_seen:
                why.append(f"the same date, site and service as {first_seen[key]}")
            first_seen.setdefault(key, where)
        if why:
            problems.append(f"{where}: {'; '.join(why)}")
        elif row is not None:
            found.append(row)
    if problems:
        raise BadRows(problems)
    if not found:
        raise BadRows(["no rows: nothing to import"])
    return found


def _check(fields: Mapping[str, str], sites: set[str], services: set[str],
           today: int) -> tuple[list[str], CounterRow | None]:  # fmt: skip
    why = []
    day = None
    text = fields["date"].strip()
    try:
        if not _DATE.match(text):
            raise ValueError
        day = (date.fromisoformat(text) - EPOCH).days
    except ValueError:
        why.append(f"date {text[:20]!r} is not a date YYYY-MM-DD")
    else:
        if not (FIRST_DAY - EPOCH).days <= day <= today:
            why.append(f"date {text} is not between {FIRST_DAY} and today ({iso(today)})")
    site = " ".join(fields["site"].split())
    if not 1 <= len(site) <= 80 or not re.match(SITE, site):
        why.append("the site is not one line of 1 to 80 characters")
    elif site not in sites:
        why.append(f"no terminal stands at site {site!r} (kiosk-backend site list)")
    service = fields["service"].strip()
    if service not in services:
        why.append(f"service {service[:40]!r} is none of the terminals' "
                   f"({', '.join(sorted(services))})")  # fmt: skip
    count = fields["count"].strip()
    if not _COUNT.match(count) or int(count) > MAX_COUNT:
        why.append(f"count {count[:20]!r} is not a whole number from 0 to {MAX_COUNT}")
    if why or day is None:
        return why, None
    return why, CounterRow(day, site, service, int(count))


# -- storing ---------------------------------------------------------------------------


class Imported(BaseModel):
    rows: int = Field(description="rows imported")
    new: int = Field(description="of them for a day, site and service not imported before")
    replaced: int = Field(description="of them replacing the count imported before")
    first_day: str
    last_day: str


def known(db: Session) -> tuple[set[str], set[str]]:
    """The sites terminals stand at, and the services the terminals offer."""
    return set(terminal_sites(db).values()), set(texts()["services"])


def store(db: Session, rows: list[CounterRow], now: float, actor_kind: str, actor: str,
          *, session: str | None = None, address: str | None = None) -> Imported:  # fmt: skip
    """The rows in the caller's transaction, each replacing the one of its day, site
    and service, with their audit entry (`counter_import`)."""
    first, last = min(r.day for r in rows), max(r.day for r in rows)
    table = CounterApplication.__table__
    before = set(db.execute(
        select(CounterApplication.day, CounterApplication.site, CounterApplication.service)
        .where(CounterApplication.day.between(first, last))).all())  # fmt: skip
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[db.get_bind().dialect.name]
    made = dialect.insert(table)
    upsert = made.on_conflict_do_update(
        index_elements=["day", "site", "service"],
        set_={c: made.excluded[c] for c in ("count", "imported_at", "imported_by")},
    )
    values = [{"day": r.day, "site": r.site, "service": r.service, "count": r.count,
               "imported_at": now, "imported_by": actor}
              for r in sorted(rows, key=lambda r: (r.day, r.site, r.service))]  # fmt: skip
    db.execute(upsert, values)
    replaced = sum((r.day, r.site, r.service) in before for r in rows)
    done = Imported(rows=len(rows), new=len(rows) - replaced, replaced=replaced,
                    first_day=iso(first), last_day=iso(last))  # fmt: skip
    audit(db, now, actor_kind, actor, "counter_import", "counter applications",
          f"{done.rows} rows, {done.first_day}..{done.last_day}, {done.replaced} replaced",
          session=session, source=address)  # fmt: skip
    return done


def import_table(db: Session, rows: Iterable[tuple[str, Mapping[str, str]]], now: float,
                 actor_kind: str, actor: str, **where: Any) -> Imported:  # fmt: skip
    """Checks every row and stores them all, or raises BadRows and stores none."""
    sites, services = known(db)
    good = checked(rows, sites, services, rollups.day_of(now))
    return store(db, good, now, actor_kind, actor, **where)


# -- the console --------------------------------------------------------------------


async def _upload(request: Request, who: Administrator) -> tuple[str, bytes]:
    """The body and its type, read once the administrator is known (403 first)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind, await request.body()


UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string", "description": "date,site,service,count"}},
    "application/json": {"schema": CounterUpload.model_json_schema()},
}}}  # fmt: skip


@router.post("/console/api/counter", response_model=Imported,
             responses=responses(403, 422), openapi_extra=UPLOAD_BODY)  # fmt: skip
def counter_import(
    request: Request,
    who: Administrator,
    upload: Annotated[tuple[str, bytes], Depends(_upload)],
) -> Imported:
    """Imports the counter system's table: `text/csv` with the columns date (YYYY-MM-DD,
    China's day), site, service, count; or the same rows as JSON. Every row is checked:
    one bad row and nothing is imported (422 `bad_rows`: each bad row in `detail`). A
    day, site and service imported before is replaced. In the audit log."""
    kind, data = upload
    readers = {"text/csv": csv_rows, "application/json": json_rows}
    if kind not in readers:
        raise Refused(422, "unsupported_type", "send text/csv or application/json")
    state = request.app.state
    now = state.clock()
    try:
        with Session(state.engine) as db, db.begin():
            return import_table(
                db,
                readers[kind](data),
                now,
                "operator",
                who.name,
                session=who.session,
                address=source(request, state.limits),
            )
    except BadRows as bad:
        # every bad row in the one line a Problem has (its schema has no list for them),
        # the first SHOWN of them: the command prints them all
        shown = "; ".join(bad.problems[:SHOWN])
        more = f" (and {len(bad.problems) - SHOWN} more)" if len(bad.problems) > SHOWN else ""
        raise Refused(422, "bad_rows", f"nothing imported: {shown}{more}") from None


class ShareRow(BaseModel):
    site: str = Field(description="the site; '*' for all of them")
    service: str = Field(description="the service; '*' for all of them")
    finished: int = Field(description="sessions the terminals finished")
    counter: int = Field(description="applications the counters took")
    share: float | None = Field(description="finished / (finished + counter); null: neither")


class Share(BaseModel):
    since: float
    until: float
    first_day: str = Field(description="the first whole day counted (UTC+8)")
    last_day: str
    by: Literal["service", "site", "site_service"]
    groups: list[ShareRow]
    total: ShareRow


@router.get("/console/api/share", response_model=Share, responses={**CSV, **responses(403, 422)})
def share(
    request: Request,
    who: Viewer,
    since: Annotated[float | None, Query(ge=0, le=WHEN, description="default: 30 days")] = None,
    until: Annotated[float | None, Query(ge=0, le=WHEN, description="default: now")] = None,
    by: Literal["service", "site", "site_service"] = "service",
    service: Annotated[str | None, Query(max_length=40)] = None,
    site: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    format: Literal["json", "csv"] = "json",
) -> Share | Response:
    """The self-service share over the whole days (UTC+8) from `since`'s to `until`'s:
    sessions the terminals finished, applications the counters took, and finished /
    (finished + counter), per service, per site, or per site and service. The CSV
    has the groups, then the row of them all."""
    now = request.app.state.clock()
    until = now if until is None else until
    since = until - DEFAULT_WINDOW_S if since is None else since
    if since > until:
        raise Refused(422, "bad_window", "since is after until")
    first = rollups.day_of(since)
    last = max(first, rollups.day_of(until) - (rollups.day_start(rollups.day_of(until)) == until))
    sums: dict[tuple[str, str], list[int]] = {}
    with Session(request.app.state.engine) as db:
        rows = rollups.summed(first, last, rollups.EVERY_SITE if site is None else site,
                              service, "e")  # fmt: skip
        finished: Sequence[Any] = db.execute(
            select(rows.c.site, rows.c.service, func.sum(rows.c.count))
            .where(rows.c.key.startswith("finished\t"))
            .group_by(rows.c.site, rows.c.service)
        ).all()  # fmt: skip
        for where, name, n in finished:
            sums.setdefault((where, name), [0, 0])[0] += int(n)
        counted = select(CounterApplication.site, CounterApplication.service,
                         func.sum(CounterApplication.count)
                         ).where(CounterApplication.day.between(first, last))  # fmt: skip
        if site is not None:
            counted = counted.where(CounterApplication.site == site)
        if service is not None:
            counted = counted.where(CounterApplication.service == service)
        grouped = counted.group_by(CounterApplication.site, CounterApplication.service)
        for where, name, n in db.execute(grouped).all():
            sums.setdefault((where, name), [0, 0])[1] += int(n)
    groups: dict[tuple[str, str], list[int]] = {}
    for (where, name), (done, at_counter) in sums.items():
        key = {"service": ("*", name), "site": (where, "*")}.get(by, (where, name))
        total = groups.setdefault(key, [0, 0])
        total[0], total[1] = total[0] + done, total[1] + at_counter
    table = [_share_row(k, v) for k, v in sorted(groups.items())]
    every = _share_row(("*", "*"), [sum(v[0] for v in groups.values()),
                                    sum(v[1] for v in groups.values())])  # fmt: skip
    if format == "csv":
        return models_csv(f"share-by-{by}", ShareRow, [*table, every])
    return Share(since=since, until=until, first_day=iso(first), last_day=iso(last), by=by,
                 groups=table, total=every)  # fmt: skip


def _share_row(key: tuple[str, str], sums: list[int]) -> ShareRow:
    done, at_counter = sums
    both = done + at_counter
    return ShareRow(site=key[0], service=key[1], finished=done, counter=at_counter,
                    share=round(done / both, 4) if both else None)  # fmt: skip
