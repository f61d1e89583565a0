"""The fleet console (数据驾驶舱): one page served by the backend, its data from
`/console/api/summary` (operator token), charts drawn by Chart.js served from here."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth import operator
from backend.db import Alert, Rating, StoredRecord, Terminal
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
            {"terminal": a.terminal_id, "kind": a.kind, "detail": a.detail, "at": a.raised_at}
            for a in db.scalars(
                select(Alert).where(Alert.cleared_at.is_(None)).order_by(Alert.id.desc()).limit(50)
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
