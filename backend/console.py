"""The fleet console (数据驾驶舱): one page served by the backend, its data from
`/console/api/summary` (operator token), charts drawn by Chart.js served from here;
and the help desk: citizens' help requests (求助), polled every few seconds and
acknowledged by the operator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth import operator
from backend.db import Alert, HelpRequest, Rating, StoredRecord, Terminal
from backend.problems import Refused, responses
from wire.sync import RecordKind

router = APIRouter(tags=["console"])
STATIC = Path(__file__).with_name("console")
FILES = {
    "console.js": "text/javascript",
    "chart.umd.min.js": "text/javascript",
    "console.css": "text/css",
}
OFFLINE_AFTER_S = 180  # three missed heartbeats
ACKED_SHOWN_S = 600  # an acknowledged request stays on the list this long, greyed


@router.get("/console", response_class=FileResponse, include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/console/static/{name}", include_in_schema=False)
def static(name: str) -> FileResponse:
    if name not in FILES:
        raise Refused(404, "not_found", f"no file {name}")
    return FileResponse(STATIC / name, media_type=FILES[name])


@router.get("/console/api/summary", dependencies=[Depends(operator)], responses=responses(403, 422))
def summary(request: Request, hours: int = 24) -> dict[str, object]:
    """Terminals with their state, transactions per hour by service, ratings, alerts."""
    now = request.app.state.clock()
    since = now - 3600 * max(1, min(hours, 168))
    with Session(request.app.state.engine) as db:
        terminals = [
            {
                "id": t.id, "name": t.name, "version": t.software_version,
                "online": t.revoked_at is None and t.last_heartbeat_at is not None
                and now - t.last_heartbeat_at < OFFLINE_AFTER_S,
                "revoked": t.revoked_at is not None,
                "last_heartbeat_age_s": None if t.last_heartbeat_at is None
                else round(now - t.last_heartbeat_at),
                "faults": {n: d for n, d in t.devices.items() if d.get("status") != "online"},
                "paper": t.consumables.get("paper"),
                "outbox_depth": t.outbox_depth, "outbox_lag_s": t.outbox_oldest_age_s,
                "outbox_held": t.outbox_held,
                "drift_s": t.drift_s,
            }
            for t in db.scalars(select(Terminal).order_by(Terminal.id))
        ]  # fmt: skip
        per_hour: Counter[tuple[int, str]] = Counter()
        for row in db.scalars(
            select(StoredRecord).where(
                StoredRecord.kind == RecordKind.APPLICATION.value,
                StoredRecord.received_at >= since,
            )
        ):
            received, body = row.received_at, row.body
            per_hour[(int(received // 3600) * 3600, str(body.get("service", "other")))] += 1
        stars = dict(
            db.execute(
                select(Rating.stars, func.count()).where(Rating.received_at >= since)
                .group_by(Rating.stars)
            ).all()
        )  # fmt: skip
        alerts = [
            {
                "terminal": a.terminal_id,
                "kind": a.kind,
                "detail": a.detail,
                "at": a.raised_at,
                "count": a.count,
                "last_at": a.last_at or a.raised_at,
            }
            for a in db.scalars(
                select(Alert)
                .where(Alert.cleared_at.is_(None))
                .order_by(func.coalesce(Alert.last_at, Alert.raised_at).desc())
                .limit(50)
            )
        ]
    hours_axis = sorted({hour for hour, _ in per_hour})
    services = sorted({service for _, service in per_hour})
    return {
        "now": now,
        "terminals": terminals,
        "transactions": {
            "hours": hours_axis,
            "series": {s: [per_hour[(h, s)] for h in hours_axis] for s in services},
        },
        "ratings": {str(s): stars.get(s, 0) for s in range(1, 6)},
        "alerts": alerts,
    }


@router.get("/console/api/help", dependencies=[Depends(operator)], responses=responses(403))
def help_requests(request: Request) -> dict[str, object]:
    """Open help requests, oldest first, with how long each has waited; those
    acknowledged in the last ten minutes after them."""
    now = request.app.state.clock()
    with Session(request.app.state.engine) as db:
        names = dict(db.execute(select(Terminal.id, Terminal.name)).all())
        rows = db.scalars(
            select(HelpRequest)
            .where((HelpRequest.acked_at.is_(None)) | (HelpRequest.acked_at >= now - ACKED_SHOWN_S))
            .order_by(HelpRequest.acked_at.is_not(None), HelpRequest.id)
            .limit(200)
        ).all()
        requests = [
            {
                "id": h.id, "terminal": h.terminal_id, "where": names.get(h.terminal_id, ""),
                "service": h.service, "screen": h.screen, "step": h.step,
                "language": h.language, "elderly": h.elderly, "received_at": h.received_at,
                # sent from the outbox after the terminal was offline: the citizen
                # may be long gone (the terminal's clock says how long, roughly)
                "late_s": max(0, round(h.received_at - h.asked_at)),
                "waited_s": round((h.acked_at or now) - h.received_at),
                "acked_at": h.acked_at,
            }
            for h in rows
        ]  # fmt: skip
    return {"now": now, "open": sum(1 for r in requests if r["acked_at"] is None),
            "requests": requests}  # fmt: skip


@router.post(
    "/console/api/help/{request_id}/ack",
    dependencies=[Depends(operator)],
    responses=responses(403, 404, 422),
)
def acknowledge(request: Request, request_id: int) -> dict[str, object]:
    """An officer is on the way: the request leaves the open list (a second
    acknowledgement changes nothing and says when the first was)."""
    now = request.app.state.clock()
    with Session(request.app.state.engine) as db, db.begin():
        row = db.get(HelpRequest, request_id)
        if row is None:
            raise Refused(404, "not_found", f"no help request {request_id}")
        if row.acked_at is None:
            row.acked_at = now
        return {"id": row.id, "acked_at": row.acked_at}
