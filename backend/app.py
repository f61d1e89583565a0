"""The reference backend as one FastAPI application: `create_app(...)`.

Stateless apart from its database, so several API processes can share one
PostgreSQL (the fleet's scale path)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import text
from sqlalchemy.engine import Engine

from backend import (
    cockpit,
    console,
    counter,
    followups,
    forecast,
    gateway,
    problems,
    records,
    services,
    sites,
    terminals,
)
from backend.auth import known_keys, quick_connection, signed_workers
from backend.db import make_engine, migrate
from backend.guard import CHUNK_TIMEOUT_S, Guard
from backend.hotpaths import HotPaths, hot_routes
from backend.issuer import ISSUER_FILE, IssuerFile
from backend.limits import Limits
from backend.registry import seed
from backend.vault import load_vault
from wire import __version__, crypto
from wire.sync import ConfigPack

TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False, "metrics": False, "logs": False, "operation_spans": False,
}  # fmt: skip
# pg_advisory_lock's key while an API process migrates and seeds ("KIOSKUP")
STARTING_LOCK = 0x4B494F534B5550


@dataclass
class Settings:
    db_url: str
    data_dir: Path
    city_pack: Path | None = None
    clock: Callable[[], float] = time.time
    # how long the gateway simulator holds a "lost" answer: past any client's timeout
    lost_hold_s: float = 30.0
    # Swagger UI at /docs loads its scripts from a public CDN: only on a developer's
    # machine (the OpenAPI document itself is always at /openapi.json)
    api_docs: bool = False
    # The QR micropay gateway simulator (/gateway/*, the reconciliation report): for
    # development and tests, never beside a real gateway
    gateway_simulator: bool = False
    slow_sender_s: float = CHUNK_TIMEOUT_S  # a body's sender silent this long is cut off
    limits: Limits = field(default_factory=Limits)  # rate limits (backend/limits.py)
    # The suite of the keys terminals enrol with (wire/crypto: "gm" or "intl"); those
    # enrolled before keep theirs, whatever their suite
    crypto_suite: str = crypto.DEFAULT
    # a low rating's follow-up is due this long after it came in (backend/followups.py)
    followup_due_s: float = followups.DEFAULT_DUE_S
    # a site is expected busy when above its terminals times this (backend/forecast.py)
    sessions_per_terminal_hour: float = forecast.DEFAULT_PER_TERMINAL_HOUR
    # the heartbeat and the record batch answered before FastAPI's routing (backend/
    # hotpaths.py); off, their FastAPI routes answer them, byte for byte the same
    hot_paths: bool = True


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    app = FastAPI(
        docs_url="/docs" if settings.api_docs else None,
        redoc_url=None,
        title="Police kiosk reference backend",
        version=__version__,
        description=(
            "Enrolment and signed requests of terminals, idempotent record ingestion, "
            "heartbeats and config pull, the services the flows call, a QR micropay "
            "gateway simulator and the fleet console. Terminal requests are signed "
            "(headers X-Kiosk-*, see wire/signing.py); people at the console sign in "
            "(POST /console/api/session) and carry its cookie, and on writes its "
            "X-CSRF-Token."
        ),
        # no OpenTelemetry here: off, FastAPI no longer asks for its providers (and the
        # environment) at every request
        telemetry=TELEMETRY_OFF,
    )
    app.state.engine = engine or make_engine(settings.db_url)
    with one_starting_at_a_time(app.state.engine):
        migrate(app.state.engine)
        seed(app.state.engine, settings.clock())
    app.state.clock = settings.clock
    app.state.lost_hold_s = settings.lost_hold_s
    app.state.limits = settings.limits
    app.state.signed_workers = signed_workers()
    app.state.known_keys = known_keys()
    app.state.alone = quick_connection(app.state.engine)
    app.state.followup_due_s = settings.followup_due_s
    app.state.sessions_per_terminal_hour = settings.sessions_per_terminal_hour
    app.state.crypto_suite = crypto.suite(settings.crypto_suite).name  # UnknownSuite if not
    # signs proofs in the deployment's suite: a key of it is added if the current one's differs
    issuers = IssuerFile(settings.data_dir / ISSUER_FILE, app.state.crypto_suite)
    app.state.issuers = issuers
    # sealed at rest; likewise a master key of the deployment's suite is added
    app.state.vault = load_vault(settings.data_dir, app.state.engine, suite=app.state.crypto_suite)
    packs: dict[str, ConfigPack] = {}  # by the issuer's current key: made again after a rotation

    def config_pack() -> ConfigPack:
        issuer = issuers.current()
        if issuer.key_id not in packs:
            packs.clear()
            packs[issuer.key_id] = terminals.load_config_pack(
                settings.city_pack, issuer.public_keys, app.state.crypto_suite
            )
        return packs[issuer.key_id]

    app.state.config_pack = config_pack
    problems.install(app)
    if settings.hot_paths:  # behind the door: its limits hold for them as for any route
        hot = hot_routes([*terminals.router.routes, *records.router.routes])
        # On SQLite, which writes one request at a time, their signed work runs on the
        # event loop: a worker thread overlapped nothing, and its hand-off was a sixth
        # of a heartbeat's CPU (bench/backend_cost.py). PostgreSQL's round trips wait:
        # there they stay on worker threads, for other requests to go on meanwhile.
        inline = app.state.engine.dialect.name == "sqlite"
        app.add_middleware(HotPaths, routes=hot, inline=inline)
    app.add_middleware(Guard, clock=settings.clock, slow_sender_s=settings.slow_sender_s)
    for module in (terminals, records, services, console, cockpit, followups, forecast, sites,
                   counter):  # fmt: skip
        app.include_router(module.router)
    if settings.gateway_simulator:
        app.include_router(gateway.router)
    problems.document(app)
    return app


@contextlib.contextmanager
def one_starting_at_a_time(engine: Engine) -> Iterator[None]:
    """API processes started together on one PostgreSQL (one `serve` each, at boot or
    after an upgrade) migrate and seed one after the other: two Alembic upgrades at
    once fail (the second's CREATE TABLE collides with the first's) and two seeds
    insert the registry twice. A session-level advisory lock on a connection of its
    own, released when both are done (or by PostgreSQL when the process dies). SQLite
    serves one machine: `serve --workers` migrates once before its workers start."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTING_LOCK})
        lock.commit()
        try:
            yield
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTING_LOCK})
            lock.commit()
